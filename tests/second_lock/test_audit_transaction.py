"""Audit rows cannot leave their transaction (issue 20): ``audit.record()`` refuses to write
outside ``transaction.atomic()``, so a change and its audit row are committed together or not
at all; and the writes that had no audit row, or wrote it on its own, now write it in theirs.

These tests run without the test's own transaction (``transaction=True``): inside it every
call would be "in a transaction" and a service that forgot its own could not be told apart.
"""

from datetime import date

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse

from waystation.accounts.policy import Perm, system_actor
from waystation.accounts.tests.factories import PASSWORD
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.audit.services import AuditOutsideTransaction, record
from waystation.audit.verify import verify_chain
from waystation.cases import services as cases
from waystation.cases.models import RiskKind
from waystation.knowledge import services as knowledge
from waystation.outreach import services as outreach
from waystation.screening import services as screening

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _committing(transactional_db):
    """The project's ``transactional_db`` takes the append-only triggers away afterwards, so
    that Django can empty the tables between tests."""


def _events() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("event", flat=True))


def test_a_change_recorded_outside_a_transaction_is_refused_and_nothing_is_written():
    with pytest.raises(AuditOutsideTransaction, match=r"outside transaction\.atomic"):
        record(Event.CASE_UPDATED, data={"fields": ["city"]})
    assert not AuditEvent.objects.exists()


def test_requests_are_not_wrapped_in_a_transaction():
    """With ATOMIC_REQUESTS every view would run inside a transaction, and a service that
    forgot its own would still pass the rule in the web: each service opens its own."""
    assert not any(
        connections[alias].settings_dict["ATOMIC_REQUESTS"] for alias in settings.DATABASES
    )


def test_inside_a_transaction_the_row_is_written_and_rolled_back_with_the_change():
    with transaction.atomic():
        record(Event.CASE_UPDATED, data={"fields": ["city"]})
    assert _events() == [Event.CASE_UPDATED]
    with pytest.raises(RuntimeError, match="the change failed"), transaction.atomic():
        record(Event.CASE_UPDATED, data={"fields": ["summary"]})
        raise RuntimeError("the change failed")  # after its audit row: the row goes with it
    assert _events() == [Event.CASE_UPDATED]
    assert verify_chain().ok


def test_a_system_actor_is_named_in_the_row_with_no_member(client_for):
    actor = system_actor("command.case.new", Perm.CASES_MANAGE)
    case = cases.case_create(actor=actor, codename="amber-falcon-27")
    row = AuditEvent.objects.get(event=Event.CASE_CREATED)
    assert row.actor_id is None
    assert row.data["system"] == "command.case.new"
    assert row.object_id == str(case.pk)
    shown = client_for("coordinator").get(reverse("home:audit")).content.decode()
    assert "run by" in shown and "command.case.new" in shown


def test_the_outreach_writes_are_audited_each_in_its_transaction(cast):
    editor = cast["coordinator"]
    embassy = outreach.organisation_create(actor=editor, name="Embassy of Canada", kind="embassy")
    outreach.organisation_add_name(actor=editor, organisation=embassy, name="Canadian Embassy")
    outreach.organisation_update(
        actor=editor, organisation=embassy, name="Embassy of Canada, Astana", city="Astana"
    )
    outreach.contact_save(actor=editor, organisation=embassy, name="Consul", role="consul")
    approach = outreach.approach_create(
        actor=editor, organisation=embassy, date=date(2026, 11, 2), channel="email"
    )
    outreach.response_record(
        actor=editor, approach=approach, kind="acknowledged", date=date(2026, 11, 5)
    )
    outreach.outreach_export(actor=editor, fmt="csv")
    assert _events() == [
        Event.ORGANISATION_CREATED,
        Event.ORGANISATION_CHANGED,
        Event.ORGANISATION_CHANGED,
        Event.CONTACT_SAVED,
        Event.APPROACH_RECORDED,
        Event.RESPONSE_RECORDED,
        Event.OUTREACH_EXPORTED,
    ]
    rows = AuditEvent.objects.order_by("seq")
    assert all(row.actor_id == editor.pk for row in rows)
    # Ids and codes only: no name, no text typed by the member.
    assert "Canad" not in str(list(rows.values_list("data", flat=True)))
    assert rows.get(event=Event.RESPONSE_RECORDED).data["kind"] == "acknowledged"


def test_a_hearing_outcome_added_later_is_audited(cast):
    coordinator = cast["coordinator"]
    case = cases.case_create(actor=coordinator, codename="quiet-river-3")
    hearing = cases.risk_record(
        actor=coordinator, case=case, kind=RiskKind.HEARING, on=date(2026, 12, 1)
    )
    cases.risk_update_outcome(
        actor=coordinator, event=hearing, outcome="Adjourned to January", visits=""
    )
    row = AuditEvent.objects.get(event=Event.RISK_OUTCOME_RECORDED)
    assert row.actor_id == coordinator.pk and row.object_id == str(case.pk)
    assert row.data == {"risk": hearing.pk, "kind": "hearing", "fields": ["outcome"]}
    assert "Adjourned" not in str(row.data)


def test_reads_and_exports_are_audited_in_a_transaction_of_their_own(cast):
    case = cases.case_create(actor=cast["coordinator"], codename="grey-heron-8")
    opened = screening.screening_open(actor=cast["screener"], case=case)
    screening.screening_read(actor=cast["screener"], screening=opened)
    knowledge.export_record(actor=cast["caseworker"], pages=[], public_only=True, form="zip")
    cases.identity_reveal(actor=cast["coordinator"], case=case, reason="legal")
    assert _events()[-3:] == [
        Event.SCREENING_READ,
        Event.KNOWLEDGE_EXPORTED,
        Event.IDENTITY_REVEALED,
    ]


def test_signing_in_and_out_is_audited(cast):
    client = Client()
    refused = client.post(reverse("accounts:login"), {"username": "lawyer", "password": "wrong"})
    assert refused.status_code == 401
    client.post(reverse("accounts:login"), {"username": "lawyer", "password": PASSWORD})
    client.post(reverse("accounts:logout"))
    assert _events() == [Event.LOGIN_FAILED, Event.LOGIN_SUCCEEDED, Event.LOGOUT]
    assert verify_chain().ok
