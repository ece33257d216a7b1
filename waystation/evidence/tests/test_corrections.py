"""Mistakes corrected with the history kept (issue 25): a testimony's statement corrected by
addenda (never overwritten), events corrected or withdrawn with their earlier versions, and a
phone handed to an investigator and received back in the chain of custody. Each: kept and
readable by those allowed, hidden from the others, audited, and carried by the package."""

import inspect
import io
import json
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from waystation.accounts.tests.factories import UserFactory
from waystation.audit.events import Event as Audit
from waystation.audit.models import AuditEvent
from waystation.cases import services as cases
from waystation.core import corrections
from waystation.evidence import custody, export, gate, services
from waystation.evidence.models import (
    ActType,
    CustodyAction,
    Event,
    EventVersion,
    Handover,
    ItemOrigin,
    Recipient,
    Testimony,
    TestimonyAddendum,
    WitnessRole,
)

pytestmark = pytest.mark.django_db

STATEMENT = "On 14 March I saw four prisoners shot near the school."
ADDENDUM = "In the second interview he said there were five prisoners, not four."
WHY = "Second interview, 3 May"
EVENT_ID = uuid.uuid4()


@pytest.fixture
def blobs(settings, tmp_path):
    root = tmp_path / "blobs"
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(root)}
    return root


@pytest.fixture
def officer(cast):
    return cast["documentation_officer"]


@pytest.fixture
def witness(cast):
    return cases.case_create(actor=cast["coordinator"], caseworker=cast["caseworker"])


@pytest.fixture
def shooting(officer):
    return services.event_record(
        actor=officer,
        act_type=ActType.EXECUTION_OF_PRISONERS,
        title="Shooting of prisoners, Posad-Pokrovske",
        description="Four prisoners shot by the school wall.",
    )


@pytest.fixture
def testimony(officer, witness, shooting):
    return services.testimony_record(
        actor=officer,
        case=witness,
        statement=STATEMENT,
        language="Russian",
        consent_scope=[Recipient.UN],
        events=[(shooting, WitnessRole.DIRECT)],
    )


@pytest.fixture
def phone(officer, witness, blobs, shooting):
    item = services.item_ingest_stream(
        actor=officer,
        case=witness,
        source=io.BytesIO(b"an image of the phone's memory\n" * 10),
        original_name="phone.img",
        origin=ItemOrigin.OPEN,
    )
    services.item_link_events(actor=officer, item=item, events=[shooting])
    return item


def _package(officer, case, tmp_path):
    result = export.build_package(
        actor=officer,
        case=case,
        addressee=gate.Addressee.of(Recipient.UN),
        out=tmp_path / "to-the-un",
    )
    return result.path


def _data(bag, name):
    return json.loads((bag / "data" / name).read_text(encoding="utf-8"))


def _audited(event) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=event))


# -- testimony: corrections as addenda ---------------------------------------------------------


def test_a_correction_is_an_addendum_and_the_statement_stays(client_for, testimony):
    client = client_for("documentation_officer")
    answer = client.post(
        reverse("evidence:testimony_correction", args=[testimony.pk]),
        {"text": ADDENDUM, "reason": WHY},
    )
    assert answer.status_code == 302
    testimony.refresh_from_db()
    assert testimony.statement == STATEMENT
    page = client.get(reverse("evidence:testimony", args=[testimony.pk])).content.decode()
    assert STATEMENT in page and ADDENDUM in page and WHY in page
    assert "corrected" in page and "Correction 1, added by" in page
    audited = _audited(Audit.TESTIMONY_CORRECTED)
    assert len(audited) == 1 and audited[0].object_id == str(testimony.pk)
    assert audited[0].data["addendum"] == 1
    assert ADDENDUM not in json.dumps(audited[0].data) and WHY not in json.dumps(audited[0].data)


def test_addenda_are_numbered_encrypted_and_need_a_text_and_a_reason(officer, testimony):
    services.testimony_add_correction(actor=officer, testimony=testimony, text="a", reason="b")
    second = services.testimony_add_correction(
        actor=officer, testimony=testimony, text=ADDENDUM, reason=WHY
    )
    assert second.number == 2
    raw = TestimonyAddendum.objects.filter(pk=second.pk).values_list("text", "reason")[0]
    assert b"five prisoners" not in bytes(raw[0]) and b"Second interview" not in bytes(raw[1])
    for text, reason in (("", WHY), (ADDENDUM, "  ")):
        with pytest.raises(services.EvidenceError):
            services.testimony_add_correction(
                actor=officer, testimony=testimony, text=text, reason=reason
            )
    assert testimony.addenda.count() == 2


def test_corrections_are_read_with_the_testimony_and_hidden_from_others(
    client_for, cast, officer, testimony
):
    services.testimony_add_correction(
        actor=officer, testimony=testimony, text=ADDENDUM, reason=WHY
    )
    # The case's caseworker reads the testimony, so its corrections too, but adds none.
    own = client_for("caseworker")
    page = own.get(reverse("evidence:testimony", args=[testimony.pk])).content.decode()
    assert ADDENDUM in page and "Add a correction" not in page
    refused = own.post(
        reverse("evidence:testimony_correction", args=[testimony.pk]),
        {"text": "mine", "reason": "mine"},
    )
    assert refused.status_code == 403
    # A caseworker of other cases: the same 404 as for a testimony that does not exist.
    other = client_for("caseworker")
    other.force_login(UserFactory(roles=["caseworker"]))
    assert other.get(reverse("evidence:testimony", args=[testimony.pk])).status_code == 404
    # Members without evidence roles are refused before any lookup.
    for name in ("treasurer", "screener"):
        answer = client_for(name).get(reverse("evidence:testimony", args=[testimony.pk]))
        assert answer.status_code == 403 and ADDENDUM not in answer.content.decode()
    assert testimony.addenda.count() == 1


def test_the_package_carries_the_statement_and_its_corrections(
    officer, witness, testimony, phone, tmp_path
):
    services.testimony_add_correction(
        actor=officer, testimony=testimony, text=ADDENDUM, reason=WHY
    )
    bag = _package(officer, witness, tmp_path)
    (row,) = _data(bag, "testimonies.json")
    assert row["statement"] == STATEMENT
    assert row["corrections"] == [
        {
            "number": 1,
            "text": ADDENDUM,
            "reason": WHY,
            "added_by": "documentation_officer",
            "added_at": row["corrections"][0]["added_at"],
        }
    ]
    csv_text = (bag / "data" / "testimonies.csv").read_text(encoding="utf-8")
    assert STATEMENT in csv_text and "five prisoners" in csv_text


# -- events: corrected and withdrawn -----------------------------------------------------------


def _fields(event, **changed):
    """The correction form as a member sends it: every field as it stands, some changed."""
    values = {name: getattr(event, name) for name in Event.CORRECTABLE_FIELDS}
    return {k: "" if v is None else v for k, v in {**values, **changed}.items()}


def test_an_event_corrected_keeps_its_earlier_version(client_for, shooting):
    client = client_for("documentation_officer")
    answer = client.post(
        reverse("evidence:event_correct", args=[shooting.pk]),
        _fields(shooting, description="Five prisoners shot by the school wall.", reason=WHY),
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    shooting.refresh_from_db()
    assert shooting.description == "Five prisoners shot by the school wall."
    assert shooting.is_corrected
    page = client.get(reverse("evidence:event", args=[shooting.pk])).content.decode()
    assert "Five prisoners" in page and "Four prisoners shot by the school wall." in page
    assert WHY in page and "corrected" in page
    version = EventVersion.objects.get(record=shooting)
    raw = EventVersion.objects.filter(pk=version.pk).values_list("values", flat=True)[0]
    assert b"Four prisoners" not in bytes(raw)
    (audited,) = _audited(Audit.EVIDENCE_EVENT_CORRECTED)
    assert audited.data == {"version": 1, "fields": ["description"]}


def test_an_event_correction_that_changes_nothing_or_gives_no_reason_is_refused(
    officer, shooting
):
    with pytest.raises(services.EvidenceError):
        services.event_correct(actor=officer, event=shooting, reason=WHY, title=shooting.title)
    with pytest.raises(services.EvidenceError):
        services.event_correct(actor=officer, event=shooting, reason=" ", title="Other")
    assert not EventVersion.objects.exists() and not _audited(Audit.EVIDENCE_EVENT_CORRECTED)


def test_a_withdrawn_event_leaves_the_lists_and_the_package_and_keeps_its_history(
    client_for, officer, witness, shooting, testimony, phone, tmp_path
):
    client = client_for("documentation_officer")
    answer = client.post(
        reverse("evidence:event_withdraw", args=[shooting.pk]),
        {"withdraw-reason": "Recorded twice"},
    )
    assert answer.status_code == 302
    assert not Event.objects.filter(pk=shooting.pk).exists()
    listing = client.get(reverse("evidence:index") + "?tab=events").content.decode()
    assert shooting.title not in listing
    item_page = client.get(reverse("evidence:item", args=[phone.pk])).content.decode()
    assert shooting.title not in item_page
    testimony_page = client.get(reverse("evidence:testimony", args=[testimony.pk]))
    assert shooting.title not in testimony_page.content.decode()
    page = client.get(reverse("evidence:event", args=[shooting.pk])).content.decode()
    assert "withdrawn" in page.lower() and "Recorded twice" in page
    (audited,) = _audited(Audit.EVIDENCE_EVENT_WITHDRAWN)
    assert audited.object_id == str(shooting.pk)
    bag = _package(officer, witness, tmp_path)
    assert _data(bag, "events.json") == []
    assert _data(bag, "items.json")[0]["events"] == []
    assert _data(bag, "testimonies.json")[0]["events"] == []
    with pytest.raises(services.EvidenceError):
        services.event_correct(
            actor=officer, event=Event.all_objects.get(pk=shooting.pk), reason=WHY, title="x"
        )


def test_the_package_carries_a_corrected_event_with_its_earlier_version(
    officer, witness, shooting, phone, tmp_path
):
    services.event_correct(
        actor=officer, event=shooting, reason=WHY, description="Five prisoners shot."
    )
    bag = _package(officer, witness, tmp_path)
    (row,) = _data(bag, "events.json")
    assert row["description"] == "Five prisoners shot."
    (earlier,) = row["earlier_versions"]
    assert earlier["values"]["description"] == "Four prisoners shot by the school wall."
    assert earlier["reason"] == WHY and earlier["kind"] == "corrected"


def test_the_event_page_shows_its_forms_once_and_a_plain_title(client_for, shooting):
    page = client_for("documentation_officer").get(reverse("evidence:event", args=[shooting.pk]))
    html = page.content.decode()
    title = html[html.index("<title>") : html.index("</title>")]
    assert shooting.title in title and "<" not in title[len("<title>") :]
    assert html.count('id="correct"') == 1 and html.count("Withdraw this event") == 1


def test_events_and_their_history_are_for_those_who_document(client_for, shooting):
    for name in ("caseworker", "lawyer", "treasurer"):
        client = client_for(name)
        assert client.get(reverse("evidence:event", args=[shooting.pk])).status_code == 403
        refused = client.post(
            reverse("evidence:event_withdraw", args=[shooting.pk]), {"withdraw-reason": "x"}
        )
        assert refused.status_code == 403
    assert Event.objects.filter(pk=shooting.pk).exists()


# -- custody: handed over and received back ----------------------------------------------------


def test_a_phone_handed_over_and_received_back(client_for, officer, phone):
    client = client_for("documentation_officer")
    url = reverse("evidence:item_handover", args=[phone.pk])
    investigator = "Investigator K. Qxvoll-Brandt, Federal Criminal Police Office"
    answer = client.post(url, {"with_whom": investigator, "how": "In person, sealed bag 12"})
    assert answer.status_code == 302
    page = client.get(reverse("evidence:item", args=[phone.pk])).content.decode()
    assert "Out of our hands since" in page and investigator in page
    assert "Record it received back" in page
    # Out already: a second handover is refused until it is back.
    with pytest.raises(services.EvidenceError):
        services.item_transfer(actor=officer, item=phone, with_whom="x", how="y")
    answer = client.post(url, {"note": "Seal intact"})
    assert answer.status_code == 302
    page = client.get(reverse("evidence:item", args=[phone.pk])).content.decode()
    assert "Out of our hands since" not in page and "received back" in page.lower()
    assert "Seal intact" in page
    entries = list(phone.custody.order_by("seq"))
    actions = [entry.action for entry in entries]
    assert CustodyAction.TRANSFERRED in actions and CustodyAction.RECEIVED_BACK in actions
    assert actions.index(CustodyAction.TRANSFERRED) < actions.index(CustodyAction.RECEIVED_BACK)
    assert custody.verify_chain(phone.pk, entries) == []
    handover = Handover.objects.get(item=phone)
    for entry in entries:
        assert "Qxvoll" not in json.dumps(entry.details)
    assert {e.details["handover"] for e in entries if "handover" in e.details} == {
        str(handover.pk)
    }
    raw = Handover.objects.filter(pk=handover.pk).values_list("with_whom", flat=True)[0]
    assert b"Qxvoll" not in bytes(raw)
    audited = _audited(Audit.EVIDENCE_TRANSFERRED) + _audited(Audit.EVIDENCE_RECEIVED_BACK)
    assert len(audited) == 2 and "Qxvoll" not in json.dumps([a.data for a in audited])
    with pytest.raises(services.EvidenceError):
        services.item_receive_back(actor=officer, item=phone)


def test_a_handover_needs_whom_and_how_and_an_editor(client_for, cast, phone):
    client = client_for("documentation_officer")
    answer = client.post(
        reverse("evidence:item_handover", args=[phone.pk]), {"with_whom": "", "how": ""}
    )
    assert answer.status_code == 400 and not Handover.objects.exists()
    refused = client_for("caseworker").post(
        reverse("evidence:item_handover", args=[phone.pk]), {"with_whom": "x", "how": "y"}
    )
    assert refused.status_code == 403
    with pytest.raises(PermissionDenied):
        services.item_transfer(actor=cast["caseworker"], item=phone, with_whom="x", how="y")
    assert not Handover.objects.exists()


# -- the second lock -----------------------------------------------------------------------------


def test_every_evidence_service_refuses_a_member_without_roles(officer, testimony, phone):
    """Each service of the package checks its permission first, before it reads its
    other arguments: called with None for each of them, it refuses a member who holds no
    role (and does not fail on the Nones)."""
    nobody = UserFactory(roles=[])
    names = [name for name in services.__all__ if inspect.isfunction(getattr(services, name))]
    assert "testimony_add_correction" in names and "item_transfer" in names
    for name in names:
        function = getattr(services, name)
        required = {
            parameter.name: None
            for parameter in inspect.signature(function).parameters.values()
            if parameter.default is inspect.Parameter.empty
            and parameter.kind is inspect.Parameter.KEYWORD_ONLY
        }
        with pytest.raises(PermissionDenied):
            function(**{**required, "actor": nobody})
    assert Testimony.objects.get(pk=testimony.pk).statement == STATEMENT


# -- an instance made before corrections ---------------------------------------------------------


def test_the_migration_keeps_the_events_made_before_it(transactional_db):
    """Migrated forwards from the release before: an existing event stands (not withdrawn,
    no versions) and can then be corrected."""
    executor = MigrationExecutor(connection)
    start = [("evidence", "0002_item_source_and_person_consent")]
    executor.migrate(start)
    old = executor.loader.project_state(start).apps
    officer = UserFactory(roles=["documentation_officer"])
    old.get_model("evidence", "Event").objects.create(
        id=EVENT_ID, act_type="looting", title="Looting, before", recorded_by_id=officer.pk
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    event = Event.objects.get(pk=EVENT_ID)
    assert not event.is_withdrawn and not event.is_corrected and not event.versions.exists()
    services.event_correct(actor=officer, event=event, reason=WHY, title="Looting, corrected")
    assert Event.objects.get(pk=EVENT_ID).title == "Looting, corrected"
    assert [v.earlier["title"] for v in corrections.history(event)] == ["Looting, before"]


def test_the_audit_page_names_what_was_corrected_and_handed_over(
    client_for, officer, testimony, shooting, phone
):
    services.testimony_add_correction(
        actor=officer, testimony=testimony, text=ADDENDUM, reason=WHY
    )
    services.event_correct(actor=officer, event=shooting, reason=WHY, title="Shooting, school")
    # A name no generated member can have: the page lists the members by name in its filter.
    recipient = "Kommissarin Qxvoll-Brandt"
    services.item_transfer(actor=officer, item=phone, with_whom=recipient, how="in person")
    page = client_for("coordinator").get(reverse("home:audit")).content.decode()
    assert "Correction added to a testimony" in page and "correction number: 1" in page
    assert "Event corrected" in page and "fields: short title" in page
    assert "Evidence medium handed over" in page and "hand-over:" in page
    assert ADDENDUM not in page and WHY not in page and recipient not in page


def test_withdrawn_events_are_listed_apart_for_those_who_document(client_for, officer, shooting):
    services.event_withdraw(actor=officer, event=shooting, reason="Recorded twice")
    client = client_for("documentation_officer")
    events = client.get(reverse("evidence:index") + "?tab=events").content.decode()
    assert reverse("evidence:events_withdrawn") in events and shooting.title not in events
    listing = client.get(reverse("evidence:events_withdrawn")).content.decode()
    assert shooting.title in listing and reverse("evidence:event", args=[shooting.pk]) in listing
    assert client_for("caseworker").get(reverse("evidence:events_withdrawn")).status_code == 403
