import pytest
from django.urls import reverse

from waystation.audit.events import Event
from waystation.audit.services import record

pytestmark = pytest.mark.django_db
URL = reverse("home:audit")


def test_coordinator_filters_by_user_event_object_and_date(client_for, cast):
    record(Event.USER_DEACTIVATED, actor=cast["coordinator"], obj=cast["lawyer"])
    record(Event.LOGIN_SUCCEEDED, actor=cast["screener"], obj=cast["screener"])
    client = client_for("coordinator")
    page = client.get(URL).content.decode()
    assert "<td>Account deactivated</td>" in page and "<td>Signed in</td>" in page
    by_event = client.get(URL, {"event": Event.USER_DEACTIVATED}).content.decode()
    assert "<td>Account deactivated</td>" in by_event and "<td>Signed in</td>" not in by_event
    by_actor = client.get(URL, {"actor": cast["screener"].pk}).content.decode()
    assert "<td>Signed in</td>" in by_actor and "<td>Account deactivated</td>" not in by_actor
    by_object = client.get(URL, {"object": f"accounts.user:{cast['lawyer'].pk}"}).content.decode()
    assert "<td>Account deactivated</td>" in by_object and "<td>Signed in</td>" not in by_object
    future = client.get(URL, {"since": "2999-01-01"}).content.decode()
    assert "No events match these filters." in future


def test_bad_filters_are_explained(client_for):
    page = (
        client_for("coordinator")
        .get(URL, {"object": "nocolon", "since": "2026-05-02", "until": "2026-05-01"})
        .content.decode()
    )
    assert "Write the type, a colon and the number" in page
    assert "The end date is before the start date." in page


def test_pages_continue_with_older_events(client_for, cast):
    for _ in range(60):
        record(Event.LOGOUT, actor=cast["caseworker"])
    client = client_for("coordinator")
    first = client.get(URL).content.decode()
    assert "Older events" in first
    second = client.get(URL, {"before": 11}).content.decode()
    assert "<td>10</td>" in second and "<td>11</td>" not in second


def test_audit_page_query_count_is_flat(client_for, cast, django_assert_max_num_queries):
    client = client_for("coordinator")
    for _ in range(120):
        record(Event.LOGOUT, actor=cast["caseworker"])
    with django_assert_max_num_queries(10):
        client.get(URL)
