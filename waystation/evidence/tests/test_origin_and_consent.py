"""Where an item came from and on what terms, and the consent of the person of a case for his
items: recorded on their pages (errors next to the field, what was typed kept), on the command
line at ingest, audited without names; existing items became "from the person of the case"."""

import io
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from waystation.audit.events import Event as Audit
from waystation.audit.models import AuditEvent
from waystation.cases.models import Case
from waystation.cases.tests.factories import make_case
from waystation.evidence import services
from waystation.evidence.models import Item, ItemOrigin, PersonConsent, Recipient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def blobs(settings, tmp_path):
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(tmp_path)}


@pytest.fixture
def officer(cast):
    return cast["documentation_officer"]


@pytest.fixture
def case(cast):
    return make_case(caseworker=cast["caseworker"])


@pytest.fixture
def item(officer, case):
    return services.item_ingest_stream(
        actor=officer, case=case, source=io.BytesIO(b"a video"), original_name="clip.mp4"
    )


@pytest.fixture
def other_witness(officer):
    return services.testimony_record(
        actor=officer,
        case=make_case(),
        statement="I gave them the video.",
        language="Russian",
        consent_scope=[Recipient.UN],
    )


def test_a_new_item_goes_nowhere_until_its_origin_is_recorded(client_for, item):
    assert item.origin == ItemOrigin.NOT_RECORDED
    page = client_for("documentation_officer").get(reverse("evidence:item", args=[item.pk]))
    text = page.content.decode()
    assert "Where it came from is not recorded" in text
    assert 'id="source"' in text and 'name="origin"' in text
    # Who may only look sees the origin, not the form.
    caseworker = client_for("caseworker").get(reverse("evidence:item", args=[item.pk]))
    assert "Not recorded yet" in caseworker.content.decode()
    assert 'name="origin"' not in caseworker.content.decode()


def test_the_origin_is_recorded_on_the_item_page_and_audited_without_names(
    client_for, officer, item, other_witness
):
    client = client_for("documentation_officer")
    url = reverse("evidence:item_origin", args=[item.pk])
    missing = client.post(url, {"origin": "organisation", "terms_scope": ["court"]})
    assert missing.status_code == 400
    text = missing.content.decode()
    assert "Name the organisation or partner." in text
    assert "Name the court or investigative body." in text
    done = client.post(
        url,
        {
            "origin": "organisation",
            "origin_organisation": "Field photographers",
            "terms_scope": ["court", "ngo"],
            "terms_courts": "ICC OTP\nicc otp\n",
        },
    )
    assert done.status_code == 302 and done["Location"].endswith("#source")
    item.refresh_from_db()
    assert (item.origin, item.origin_organisation) == ("organisation", "Field photographers")
    assert (item.terms_scope, item.terms_courts) == (["court", "ngo"], ["ICC OTP"])
    page = client.get(reverse("evidence:item", args=[item.pk])).content.decode()
    assert "Field photographers — court ICC OTP, NGOs" in page
    row = AuditEvent.objects.get(event=Audit.EVIDENCE_TERMS)
    assert row.data == {
        "case": item.case_id,
        "origin": "organisation",
        "testimony": None,
        "scope": ["court", "ngo"],
    }
    assert "Field photographers" not in str(row.data)

    client.post(url, {"origin": "witness", "origin_testimony": str(other_witness.pk)})
    item.refresh_from_db()
    assert item.origin_testimony == other_witness and item.origin_organisation == ""
    assert item.terms_scope == []
    witness_codename = other_witness.case.codename
    assert witness_codename in client.get(reverse("evidence:item", args=[item.pk])).content.decode()
    # The case's caseworker sees that it came from another witness, not which one.
    seen = client_for("caseworker").get(reverse("evidence:item", args=[item.pk])).content.decode()
    assert "From another witness" in seen and witness_codename not in seen


def test_a_testimony_of_the_person_himself_is_not_another_witness(officer, item, case):
    own = services.testimony_record(
        actor=officer, case=case, statement="My own words.", language="Russian"
    )
    with pytest.raises(services.EvidenceError, match="record the item as his"):
        services.item_set_origin(
            actor=officer, item=item, origin=ItemOrigin.WITNESS, origin_testimony=own
        )
    with pytest.raises(services.EvidenceError, match="name the testimony"):
        services.item_set_origin(actor=officer, item=item, origin=ItemOrigin.WITNESS)
    item.refresh_from_db()
    assert item.origin == ItemOrigin.NOT_RECORDED


def test_the_upload_form_records_the_origin_of_every_file(client_for, case, other_witness):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for("documentation_officer").post(
        reverse("evidence:item_new"),
        {
            "case": case.codename,
            "acquired_on": "2026-11-20",
            "acquired_how": "in_person",
            "origin": "witness",
            "origin_testimony": str(other_witness.pk),
            "files": [
                SimpleUploadedFile("a.txt", b"first"),
                SimpleUploadedFile("b.txt", b"second"),
            ],
        },
    )
    assert response.status_code == 302
    assert {(i.origin, i.origin_testimony_id) for i in Item.objects.all()} == {
        ("witness", other_witness.pk)
    }


def test_the_person_gives_consent_once_for_his_items(client_for, officer, case, item):
    services.item_set_origin(actor=officer, item=item, origin=ItemOrigin.PERSON)
    client = client_for("documentation_officer")
    url = reverse("evidence:person_consent", args=[case.pk])
    page = client.get(url).content.decode()
    assert "not given yet: his items go to no one" in page
    assert str(item.pk)[:8] in page  # the items it governs
    missing = client.post(url, {"scope": ["court", "un"], "courts": ""})
    assert missing.status_code == 400
    assert "Name the court or investigative body." in missing.content.decode()
    assert re.search(r'value="un"[^>]*checked', missing.content.decode())  # still ticked
    done = client.post(url, {"scope": ["court", "un"], "courts": "ICC OTP\nEurojust"})
    assert done.status_code == 302
    consent = PersonConsent.objects.get(case=case)
    assert (consent.scope, consent.courts, consent.withdrawn_on) == (
        ["court", "un"],
        ["ICC OTP", "Eurojust"],
        None,
    )
    assert "court ICC OTP, court Eurojust, UN" in client.get(url).content.decode()
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    refused = client.post(url, {"scope": ["un"], "withdrawn_on": future})
    assert refused.status_code == 400
    assert "The withdrawal date is in the future." in refused.content.decode()
    client.post(url, {"scope": ["un"], "withdrawn_on": "2026-01-05"})
    consent.refresh_from_db()
    assert consent.withdrawn_on.isoformat() == "2026-01-05"
    assert not consent.terms.allows("un")
    rows = list(AuditEvent.objects.filter(event=Audit.PERSON_CONSENT_CHANGED).order_by("seq"))
    assert [row.data for row in rows] == [
        {"case": case.pk, "scope": ["court", "un"], "withdrawn": False},
        {"case": case.pk, "scope": ["un"], "withdrawn": True},
    ]
    assert "ICC" not in str([row.data for row in rows])


@pytest.mark.parametrize("name", ["caseworker", "lawyer", "treasurer", "screener"])
def test_only_those_who_document_record_consent_or_origin(client_for, case, item, name):
    client = client_for(name)
    url = reverse("evidence:person_consent", args=[case.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"scope": ["media"]}).status_code == 403
    origin = client.post(reverse("evidence:item_origin", args=[item.pk]), {"origin": "open"})
    assert origin.status_code == 403
    assert not PersonConsent.objects.exists()
    item.refresh_from_db()
    assert item.origin == ItemOrigin.NOT_RECORDED


def test_ingest_on_the_command_line_records_the_origin(case, other_witness, tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"moving pictures")
    out = StringIO()
    call_command(
        "evidence",
        "ingest",
        str(path),
        "--case",
        case.codename,
        "--source",
        "organisation",
        "--organisation",
        "Field photographers",
        "--terms",
        "un, court",
        "--court",
        "ICC OTP",
        stdout=out,
    )
    made = Item.objects.get()
    assert (made.origin, made.terms_scope, made.terms_courts) == (
        "organisation",
        ["court", "un"],
        ["ICC OTP"],
    )
    with pytest.raises(CommandError, match="name the testimony of the witness"):
        call_command(
            "evidence", "ingest", str(path), "--case", case.codename, "--source", "witness"
        )
    call_command(
        "evidence",
        "ingest",
        str(path),
        "--case",
        case.codename,
        "--source",
        "witness",
        "--testimony",
        str(other_witness.pk),
        stdout=out,
    )
    assert Item.objects.filter(origin="witness", origin_testimony=other_witness).count() == 1


def test_the_migration_makes_existing_items_the_persons_and_new_ones_unrecorded(
    migrator_items,
):
    before, after = migrator_items
    assert before == "person" and after == "not_recorded"


@pytest.fixture
def migrator_items(transactional_db):
    """The evidence migration run forwards on an item made at the migration before it."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    start = [("evidence", "0001_initial")]
    executor.migrate(start)
    old_apps = executor.loader.project_state(start).apps
    # The cases tables stay as they are now (only evidence went back): today's model writes
    # the case (its sealed columns on PostgreSQL), the old evidence model the item.
    old_case = Case.objects.create(codename="old-item-1")
    old_item = old_apps.get_model("evidence", "Item")
    import uuid

    pk = uuid.uuid4()
    old_item.objects.create(
        id=pk, case_id=old_case.pk, kind="video", blob="b" * 64, sha256="a" * 64, size=1
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    migrated = Item.objects.get(pk=pk)
    fresh = Item(case=migrated.case, kind="video", blob="c" * 64, sha256="c" * 64, size=1)
    return migrated.origin, fresh.origin
