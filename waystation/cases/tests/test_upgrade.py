"""An instance made by the previous release (cases at 0006) upgrades: its notes, risk events and
status steps stand (none corrected or withdrawn), the notes' full-text search still finds old
and new notes alike, and the new corrections work on what it held."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from waystation.accounts.tests.factories import UserFactory
from waystation.cases import services
from waystation.cases.models import Case, Note, RiskEvent, RiskKind, Status, StatusChange
from waystation.cases.selectors import CaseFilters, cases_for

BEFORE = [("cases", "0006_identity_versions")]


@pytest.fixture
def upgraded(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    caseworker = UserFactory(username="caseworker-old", roles=["caseworker"])
    lawyer = UserFactory(username="lawyer-old", roles=["lawyer"])
    case = old.get_model("cases", "Case").objects.create(
        codename="old-heron-12",
        status="detained",
        status_since=date(2026, 3, 2),
        caseworker_id=caseworker.pk,
        lawyer_id=lawyer.pk,
    )
    old.get_model("cases", "StatusChange").objects.create(
        case=case, status="in_transit", on=date(2026, 2, 1)
    )
    old.get_model("cases", "StatusChange").objects.create(
        case=case, status="detained", on=date(2026, 3, 2)
    )
    old.get_model("cases", "RiskEvent").objects.create(
        case=case, kind="detention", on=date(2026, 3, 2), place="СИЗО-1"
    )
    old.get_model("cases", "Note").objects.create(
        case=case, text="Задержан на границе, адвокат в пути", author_id=caseworker.pk
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    return {"case": case.pk, "caseworker": caseworker, "lawyer": lawyer}


def test_an_instance_of_the_previous_release_upgrades(upgraded):
    case = Case.objects.get(pk=upgraded["case"])
    caseworker, lawyer = upgraded["caseworker"], upgraded["lawyer"]
    (note,) = Note.objects.filter(case=case)
    assert (note.corrected_at, note.withdrawn_at, note.versions.count()) == (None, None, 0)
    assert StatusChange.objects.filter(case=case).count() == 2
    (event,) = RiskEvent.objects.filter(case=case)
    assert not event.is_withdrawn

    # The full-text index kept its triggers: old and new notes are found, a withdrawn one not.
    assert list(cases_for(caseworker, CaseFilters(query="границе"))) == [case]
    services.note_add(actor=caseworker, case=case, text="Передача в четверг")
    assert list(cases_for(caseworker, CaseFilters(query="передача"))) == [case]
    services.note_correct(
        actor=caseworker, note=note, text="Задержан, адвокат в пути", legal=False, reason="r"
    )
    assert list(cases_for(caseworker, CaseFilters(query="границе"))) == []
    assert list(cases_for(caseworker, CaseFilters(query="адвокат"))) == [case]
    services.note_withdraw(actor=caseworker, note=note, reason="ошибка")
    assert list(cases_for(caseworker, CaseFilters(query="адвокат"))) == []

    # What it held is corrected and withdrawn like anything recorded since.
    services.risk_correct(
        actor=lawyer,
        event=event,
        kind=RiskKind.DETENTION,
        on=date(2026, 3, 1),
        place="СИЗО-1",
        reason="дата",
    )
    case.refresh_from_db()
    assert case.status == Status.DETAINED
    step = StatusChange.objects.get(case=case, status=Status.DETAINED)
    services.status_withdraw(actor=lawyer, change=step, reason="ошибка")
    case.refresh_from_db()
    assert (case.status, case.status_since) == (Status.IN_TRANSIT, date(2026, 2, 1))
