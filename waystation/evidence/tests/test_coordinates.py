"""Where an event happened, typed as latitude and longitude: a ``Decimal`` (or None) for the
code on both databases (forms, the event page and exports read it); sealed on PostgreSQL
(``ServerSealedDecimalField``), where the database can no longer compare them and says so."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from waystation.core.fields import SealedOnServer
from waystation.evidence.models import Event

LATITUDE, LONGITUDE = "47.813579", "-35.246813"


def test_coordinates_typed_are_shown_and_read_back_as_decimals(client_for, cast):
    client = client_for("documentation_officer")
    answer = client.post(
        reverse("evidence:event_new"),
        {
            "act_type": "torture",
            "title": "Detention at the checkpoint",
            "date_from": "2026-03-14",
            "date_certainty": "exact",
            "place": "Checkpoint north of the town",
            "latitude": LATITUDE,
            "longitude": LONGITUDE,
        },
    )
    assert answer.status_code == 302
    event = Event.objects.get()
    assert (event.latitude, event.longitude) == (Decimal(LATITUDE), Decimal(LONGITUDE))
    assert isinstance(event.latitude, Decimal)
    page = client.get(reverse("evidence:event", args=[event.pk])).content.decode()
    assert f"({LATITUDE}, {LONGITUDE})" in page


def test_an_event_without_coordinates_keeps_none_and_whole_degrees_read_back(cast):
    empty = Event.objects.create(act_type="torture", title="Unknown place")
    whole = Event.objects.create(act_type="torture", title="Whole", latitude=5, longitude="-7.5")
    empty, whole = Event.objects.get(pk=empty.pk), Event.objects.get(pk=whole.pk)
    assert (empty.latitude, empty.longitude) == (None, None)
    assert (whole.latitude, whole.longitude) == (Decimal(5), Decimal("-7.5"))
    assert list(Event.objects.filter(latitude__isnull=True)) == [empty]


@pytest.mark.postgresql
def test_postgresql_holds_them_sealed_and_refuses_to_compare_them(cast):
    event = Event.objects.create(
        act_type="torture", title="Sealed", latitude=Decimal(LATITUDE), longitude=LONGITUDE
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT latitude::text, longitude::text, pg_typeof(latitude)::text "
            "FROM evidence_event WHERE id = %s",
            [event.pk],
        )
        latitude, longitude, kind = cursor.fetchone()
    assert kind == "json"
    assert "47.8" not in latitude and "35.2" not in longitude and latitude != longitude
    with pytest.raises(SealedOnServer, match="latitude is sealed"):
        list(Event.objects.filter(latitude__gt=40))
    assert Event.objects.get(latitude__isnull=False).longitude == Decimal(LONGITUDE)
