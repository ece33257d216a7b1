"""An instance written before the fields were sealed on PostgreSQL (issue 27) upgrades: its rows
read back as they were, hold only ciphertext on PostgreSQL, and what looks them up (a
contact's name, by its keyed digest) still finds them. On the embedded database the same
migrations change nothing (its file is encrypted whole). Migrating back opens them again: the
columns hold their clear values, with the types they had (numeric coordinates, jsonb details)."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from waystation.cases.tests.factories import make_case
from waystation.evidence.models import CustodyEntry, Event, Item
from waystation.ledger.models import Fund
from waystation.outreach import services as outreach
from waystation.outreach.models import Approach, Contact, Organisation

BEFORE = [
    ("evidence", "0007_timestamp_tokens"),
    ("outreach", "0005_importjob_reading"),
    ("ledger", "0004_kept_totals"),
]
HASH = "9f" * 32
LATITUDE, LONGITUDE = Decimal("47.813579"), Decimal("-35.246813")


def _stored(table: str, column: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column}::text FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.fixture
def upgraded(transactional_db, cast):
    case = make_case()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    event = old.get_model("evidence", "Event").objects.create(
        act_type="torture",
        title="Zq7Title market",
        place="Zq7Place",
        victims_kind="Zq7Victims",
        latitude=LATITUDE,
        longitude=LONGITUDE,
    )
    item = old.get_model("evidence", "Item").objects.create(
        case_id=case.pk,
        kind="document",
        blob="b" * 64,
        sha256=HASH,
        size=3,
        media_type="text/x-zq7",
    )
    old.get_model("evidence", "CustodyEntry").objects.create(
        item_id=item.pk,
        seq=1,
        action="hashed",
        at="2026-11-01T10:00:00Z",
        details={"sha256": HASH, "size": 3},
        previous_hash="0" * 64,
        entry_hash="1" * 64,
        mac="2" * 64,
    )
    organisation = old.get_model("outreach", "Organisation").objects.create(
        name="Embassy", notes="Zq7Notes"
    )
    old.get_model("outreach", "Contact").objects.create(
        organisation_id=organisation.pk, name="Frau  Zq7Contact", role="Zq7Role"
    )
    old.get_model("outreach", "Approach").objects.create(
        organisation_id=organisation.pk,
        date="2026-10-01",
        channel="email",
        subject="Zq7Subject",
        summary="Zq7Summary",
    )
    old.get_model("ledger", "Fund").objects.create(name="General", purpose="Zq7Purpose")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    return {"event": event.pk, "item": item.pk, "organisation": organisation.pk}


def test_rows_written_before_read_back_and_are_sealed_on_postgresql(upgraded, cast):
    event = Event.objects.get(pk=upgraded["event"])
    assert (event.title, event.place) == ("Zq7Title market", "Zq7Place")
    assert event.victims_kind == "Zq7Victims"
    assert (event.latitude, event.longitude) == (LATITUDE, LONGITUDE)
    item = Item.objects.get(pk=upgraded["item"])
    assert (item.sha256, item.media_type) == (HASH, "text/x-zq7")
    assert CustodyEntry.objects.get(item=item).details == {"sha256": HASH, "size": 3}
    organisation = Organisation.objects.get(pk=upgraded["organisation"])
    assert organisation.notes == "Zq7Notes"
    (contact,) = Contact.objects.filter(organisation=organisation)
    assert (contact.name, contact.role) == ("Frau  Zq7Contact", "Zq7Role")
    approach = Approach.objects.get(organisation=organisation)
    assert (approach.subject, approach.summary) == ("Zq7Subject", "Zq7Summary")
    assert Fund.objects.get(name="General").purpose == "Zq7Purpose"
    if connection.vendor == "postgresql":
        for table, column, pk in [
            ("evidence_event", "title", event.pk),
            ("evidence_event", "place", event.pk),
            ("evidence_event", "latitude", event.pk),
            ("evidence_event", "longitude", event.pk),
            ("evidence_item", "sha256", item.pk),
            ("evidence_item", "media_type", item.pk),
            ("outreach_organisation", "notes", organisation.pk),
            ("outreach_contact", "name", contact.pk),
            ("outreach_approach", "summary", approach.pk),
        ]:
            stored = _stored(table, column, pk)
            assert "Zq7" not in stored and HASH not in stored and "zq7" not in stored
            assert "47.81" not in stored and "35.24" not in stored
        with connection.cursor() as cursor:
            cursor.execute("SELECT details::text FROM evidence_custodyentry")
            assert HASH not in cursor.fetchone()[0]
    # The contact is found again by its name (the keyed digest filled by the upgrade): saving
    # it under the same name, spaces evened out, updates it rather than adding a second one.
    outreach.contact_save(
        actor=cast["coordinator"], organisation=organisation, name="Frau Zq7Contact", role="Visa"
    )
    (contact,) = Contact.objects.filter(organisation=organisation)
    assert contact.role == "Visa"


def test_migrating_back_opens_the_sealed_columns_with_their_types(upgraded):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT title, latitude, longitude FROM evidence_event WHERE id = %s",
            [upgraded["event"].hex if connection.vendor == "sqlite" else upgraded["event"]],
        )
        title, latitude, longitude = cursor.fetchone()
        cursor.execute("SELECT details FROM evidence_custodyentry")
        (details,) = cursor.fetchone()
    assert title == "Zq7Title market"
    assert (Decimal(str(latitude)), Decimal(str(longitude))) == (LATITUDE, LONGITUDE)
    assert json.loads(details) == {"sha256": HASH, "size": 3}
    if connection.vendor == "postgresql":  # numeric and jsonb again, not text or json
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_typeof(e.latitude)::text, pg_typeof(e.longitude)::text, "
                "pg_typeof(c.details)::text FROM evidence_event e, evidence_custodyentry c"
            )
            assert cursor.fetchone() == ("numeric", "numeric", "jsonb")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    event = Event.objects.get(pk=upgraded["event"])
    assert (event.title, event.latitude, event.longitude) == (
        "Zq7Title market",
        LATITUDE,
        LONGITUDE,
    )
