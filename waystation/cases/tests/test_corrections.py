"""Corrections with the history kept (issue 25): a note on the wrong case, a risk event with a
wrong date, a status set by mistake are corrected (the earlier version kept, encrypted, with
who, when and why) or withdrawn (gone from the case, lists, counts, the dashboard, search and
exports, kept in the history). Readers of the record read its history; nobody else does."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from waystation.accounts.tests.factories import UserFactory
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases import services
from waystation.cases.models import (
    Note,
    NoteVersion,
    RiskEvent,
    RiskKind,
    Status,
    StatusChange,
)
from waystation.cases.selectors import CaseFilters, cases_for, pressing_for
from waystation.core.refusals import Forbidden
from waystation.pathways.dossier.contents import chronology

pytestmark = pytest.mark.django_db

WRONG = "Он сказал, что его адрес — улица Ленина 5"
RIGHT = "Встреча с юристом в четверг"


@pytest.fixture
def case(cast):
    return services.case_create(
        actor=cast["coordinator"],
        codename="amber-falcon-27",
        caseworker=cast["caseworker"],
        lawyer=cast["lawyer"],
    )


@pytest.fixture
def other(cast):
    """A caseworker of another case: may not read this one."""
    return UserFactory(username="stranger", roles=["caseworker"])


def _events(event, case):
    return list(AuditEvent.objects.filter(event=event, object_id=str(case.pk)))


def _page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content.decode()[:500]
    return response.content.decode()


def _export_json(client, case) -> dict:
    response = client.post(reverse("evidence:case_export", args=[case.pk]), {"format": "json"})
    assert response.status_code == 200, response.content.decode()[:500]
    return json.loads(response.content)


def _export_html(client, case) -> str:
    response = client.post(reverse("evidence:case_export", args=[case.pk]), {"format": "html"})
    assert response.status_code == 200
    return response.content.decode()


# --- notes ---------------------------------------------------------------------------------


def test_a_corrected_note_keeps_its_earlier_text_encrypted_for_its_readers(
    cast, case, client_for, other
):
    note = services.note_add(actor=cast["caseworker"], case=case, text=WRONG)
    services.note_correct(
        actor=cast["caseworker"], note=note, text=RIGHT, legal=False, reason="адрес не пишем"
    )
    note.refresh_from_db()
    assert note.text == RIGHT and note.corrected_at is not None

    # Kept, encrypted: neither the earlier text nor the reason is in the clear in its row.
    version = NoteVersion.objects.get(record=note)
    assert version.number == 1 and version.by == cast["caseworker"]
    with connection.cursor() as cursor:
        cursor.execute('SELECT "values", reason FROM cases_noteversion')
        contents, reason = cursor.fetchone()
    assert "Ленина".encode() not in bytes(contents)
    assert "адрес".encode() not in bytes(reason)

    # The case page says "corrected" and links the history; the history shows the earlier
    # text, who and why, to the caseworker and a coordinator.
    history = reverse("cases:note_history", args=[note.pk])
    for name in ("caseworker", "coordinator"):
        client = client_for(name)
        page = _page(client, reverse("cases:case", args=[case.pk]))
        assert RIGHT in page and WRONG not in page
        assert f'href="{history}">corrected</a>' in page
        page = _page(client, history)
        assert WRONG in page and RIGHT in page and "адрес не пишем" in page
        assert str(cast["caseworker"]) in page

    # Not for the lawyer (the note is not marked for him) nor a stranger: 404, as the note.
    _page(client_for("lawyer"), history, status=404)
    stranger = client_for("caseworker")
    stranger.force_login(other)
    _page(stranger, history, status=404)

    # Audited in the same transaction, with ids and field names only.
    (row,) = _events(Event.NOTE_CORRECTED, case)
    assert row.data == {"note": note.pk, "version": 1, "fields": ["text"]}
    assert row.actor_id == cast["caseworker"].pk
    assert "Встреча" not in json.dumps(row.data, ensure_ascii=False)

    # The export carries the note as it stands, saying it was corrected.
    data = _export_json(client_for("caseworker"), case)
    assert [(n["text"], n["corrected"]) for n in data["notes"]] == [(RIGHT, True)]
    html = _export_html(client_for("caseworker"), case)
    assert RIGHT in html and WRONG not in html and "corrected" in html


def test_a_note_on_the_wrong_case_is_withdrawn_there_and_kept_in_its_history(
    cast, case, client_for
):
    right_case = services.case_create(
        actor=cast["coordinator"], codename="quiet-river-4", caseworker=cast["caseworker"]
    )
    note = services.note_add(actor=cast["caseworker"], case=case, text=WRONG + " ленинградский")
    kept = services.note_add(actor=cast["caseworker"], case=case, text="Остаётся на месте")
    services.note_withdraw(actor=cast["caseworker"], note=note, reason="не тот человек")
    # The member writes it on the right case: nothing moved it there.
    assert not Note.all_objects.filter(case=right_case).exists()
    note = Note.all_objects.get(pk=note.pk)
    assert note.case_id == case.pk and note.withdrawn_by == cast["caseworker"]

    client = client_for("caseworker")
    page = _page(client, reverse("cases:case", args=[case.pk]))
    assert "ленинградский" not in page and "Остаётся на месте" in page
    assert "1 withdrawn entry" in page
    history = reverse("cases:note_history", args=[note.pk])
    assert history in page
    page = _page(client, history)
    assert "ленинградский" in page and "не тот человек" in page and "Withdrawn on" in page
    assert "Save the correction" not in page  # nothing more to do with it

    # Gone from the list's counts, the search (every reader's way) and the export.
    assert list(Note.objects.filter(case=case)) == [kept]
    assert Note.all_objects.filter(case=case).count() == 2
    for name in ("coordinator", "caseworker"):
        found = cases_for(cast[name], CaseFilters(query="ленинградский"))
        assert list(found) == [], name
        assert list(cases_for(cast[name], CaseFilters(query="Остаётся"))) == [case], name
    data = _export_json(client, case)
    assert [n["text"] for n in data["notes"]] == ["Остаётся на месте"]

    (row,) = _events(Event.NOTE_WITHDRAWN, case)
    assert row.data == {"note": note.pk, "version": 1}

    # A withdrawn note cannot be corrected or withdrawn again.
    with pytest.raises(services.CaseError, match="withdrawn"):
        services.note_correct(
            actor=cast["caseworker"], note=note, text="x", legal=False, reason="y"
        )


def test_only_the_author_or_a_coordinator_corrects_a_note(cast, case, client_for):
    note = services.note_add(actor=cast["lawyer"], case=case, text="Слушание перенесли")
    offer = reverse("cases:note_history", args=[note.pk]) + "#correct"
    for name, offered in (("lawyer", True), ("coordinator", True), ("caseworker", False)):
        page = _page(client_for(name), reverse("cases:case", args=[case.pk]))
        assert "Слушание перенесли" in page and (offer in page) is offered, name
    with pytest.raises(services.CaseError, match="author or a coordinator"):
        services.note_withdraw(actor=cast["caseworker"], note=note, reason="ошибка")
    services.note_correct(
        actor=cast["coordinator"],
        note=note,
        text="Слушание перенесли на май",
        legal=True,
        reason="дата",
    )
    # A lawyer's note stays marked for the lawyer, whatever the form says.
    services.note_correct(
        actor=cast["lawyer"], note=note, text="Слушание 12 мая", legal=False, reason="точнее"
    )
    note.refresh_from_db()
    assert note.legal is True and note.versions.count() == 2


def test_a_lawyer_reads_no_earlier_text_that_was_not_for_him(cast, case, client_for):
    note = services.note_add(actor=cast["caseworker"], case=case, text="Только для нас")
    services.note_correct(
        actor=cast["caseworker"], note=note, text="Для юриста тоже", legal=True, reason="юристу"
    )
    page = _page(client_for("lawyer"), reverse("cases:note_history", args=[note.pk]))
    assert "Для юриста тоже" in page and "Только для нас" not in page
    assert "not marked for the lawyer" in page
    assert "Только для нас" in _page(
        client_for("caseworker"), reverse("cases:note_history", args=[note.pk])
    )


def test_corrections_need_a_reason_and_a_change(cast, case):
    note = services.note_add(actor=cast["caseworker"], case=case, text=WRONG)
    with pytest.raises(services.CaseError, match="Say why"):
        services.note_correct(
            actor=cast["caseworker"], note=note, text=RIGHT, legal=False, reason=" "
        )
    with pytest.raises(services.NothingChanged):
        services.note_correct(
            actor=cast["caseworker"], note=note, text=WRONG, legal=False, reason="r"
        )
    assert not note.versions.exists()
    assert not _events(Event.NOTE_CORRECTED, case)


_TODAY = {"on": timezone.localdate}
CORRECTIONS = [
    (services.note_correct, "note", Note, {"text": "x", "legal": False}),
    (services.note_withdraw, "note", Note, {}),
    (services.risk_correct, "event", RiskEvent, {"kind": RiskKind.WANTED, **_TODAY}),
    (services.risk_withdraw, "event", RiskEvent, {}),
    (services.status_correct, "change", StatusChange, {"status": Status.CLOSED, **_TODAY}),
    (services.status_withdraw, "change", StatusChange, {}),
]


@pytest.mark.parametrize(("service", "argument", "model", "values"), CORRECTIONS)
def test_each_correction_refuses_a_member_without_roles_first(
    cast, case, service, argument, model, values
):
    nobody = UserFactory(username="nobody", roles=[])
    record = model(case=case)
    values = {name: value() if callable(value) else value for name, value in values.items()}
    for actor in (nobody, cast["deactivated"], None):
        with pytest.raises(Forbidden):
            service(actor=actor, **{argument: record}, **values, reason="x")


def test_a_stranger_cannot_correct_what_he_cannot_read(cast, case, other):
    note = services.note_add(actor=cast["caseworker"], case=case, text=WRONG)
    with pytest.raises(services.CaseAccessDenied):
        services.note_withdraw(actor=other, note=note, reason="x")
    event = services.risk_record(
        actor=cast["lawyer"], case=case, kind=RiskKind.HEARING, on=timezone.localdate()
    )
    with pytest.raises(services.CaseAccessDenied):
        services.risk_withdraw(actor=other, event=event, reason="x")
    assert not Note.objects.get(pk=note.pk).is_withdrawn


# --- risk events ---------------------------------------------------------------------------


def test_a_hearing_with_a_wrong_date_is_corrected_and_the_dashboard_follows(cast, case, client_for):
    today = timezone.localdate()
    event = services.risk_record(
        actor=cast["lawyer"],
        case=case,
        kind=RiskKind.HEARING,
        on=today + timedelta(days=30),
        place="Суд Алматы",
    )
    assert pressing_for(cast["coordinator"]) == []
    services.risk_correct(
        actor=cast["lawyer"],
        event=event,
        kind=RiskKind.HEARING,
        on=today + timedelta(days=3),
        place="Суд Алматы",
        reason="перепутал месяц",
    )
    assert [e.pk for e in pressing_for(cast["coordinator"])] == [event.pk]
    assert "amber-falcon-27" in _page(client_for("coordinator"), reverse("home:dashboard"))

    history = reverse("cases:risk_history", args=[event.pk])
    page = _page(client_for("lawyer"), history)
    earlier = today + timedelta(days=30)
    assert f'datetime="{earlier.isoformat()}"' in page and "перепутал месяц" in page
    page = _page(client_for("coordinator"), reverse("cases:case", args=[case.pk]))
    assert f'href="{history}">corrected</a>' in page

    (row,) = _events(Event.RISK_CORRECTED, case)
    assert row.data == {"risk": event.pk, "version": 1, "fields": ["on"]}

    data = _export_json(client_for("lawyer"), case)
    assert [(e["on"], e["corrected"]) for e in data["risk_events"]] == [
        ((today + timedelta(days=3)).isoformat(), True)
    ]
    with_labels = chronology(case, [], [])
    assert [entry.text for entry in with_labels if entry.on == today + timedelta(days=3)] == [
        "Court hearing, Суд Алматы (corrected)"
    ]


def test_a_withdrawn_risk_event_leaves_the_dashboard_filters_exports_and_dossier(
    cast, case, client_for, other
):
    today = timezone.localdate()
    event = services.risk_record(
        actor=cast["lawyer"], case=case, kind=RiskKind.HEARING, on=today + timedelta(days=2)
    )
    assert list(cases_for(cast["coordinator"], CaseFilters(risk=RiskKind.HEARING))) == [case]
    services.risk_withdraw(actor=cast["lawyer"], event=event, reason="не наш человек")

    assert pressing_for(cast["coordinator"]) == []
    assert "amber-falcon-27" not in _page(client_for("coordinator"), reverse("home:dashboard"))
    assert list(cases_for(cast["coordinator"], CaseFilters(risk=RiskKind.HEARING))) == []
    assert RiskEvent.objects.filter(case=case).count() == 0
    assert _export_json(client_for("lawyer"), case)["risk_events"] == []
    assert not [e for e in chronology(case, [], []) if "hearing" in e.text.lower()]

    page = _page(client_for("lawyer"), reverse("cases:case", args=[case.pk]))
    assert "No risk event recorded." in page and "1 withdrawn entry" in page
    history = reverse("cases:risk_history", args=[event.pk])
    assert "не наш человек" in _page(client_for("coordinator"), history)
    stranger = client_for("caseworker")
    stranger.force_login(other)
    _page(stranger, history, status=404)
    _page(client_for("treasurer"), history, status=403)

    (row,) = _events(Event.RISK_WITHDRAWN, case)
    assert row.data == {"risk": event.pk, "version": 1}


def test_withdrawing_a_mistaken_detention_reads_the_status_since_again(cast, case):
    today = timezone.localdate()
    event = services.risk_record(
        actor=cast["lawyer"], case=case, kind=RiskKind.DETENTION, on=today - timedelta(days=9)
    )
    case.refresh_from_db()
    assert case.status_since == today - timedelta(days=9)
    services.risk_correct(
        actor=cast["lawyer"],
        event=event,
        kind=RiskKind.DETENTION,
        on=today - timedelta(days=5),
        reason="дата задержания",
    )
    case.refresh_from_db()
    assert (case.status, case.status_since) == (Status.DETAINED, today - timedelta(days=5))
    # The step the detention set stays (since today, when it was typed in) until it is
    # withdrawn in its turn; then the case is in transit again, as it was opened.
    services.risk_withdraw(actor=cast["lawyer"], event=event, reason="ошибка")
    case.refresh_from_db()
    assert (case.status, case.status_since) == (Status.DETAINED, today)
    step = case.status_changes.get(status=Status.DETAINED)
    services.status_withdraw(actor=cast["lawyer"], change=step, reason="ошибка")
    case.refresh_from_db()
    assert (case.status, case.status_since) == (Status.IN_TRANSIT, today)


# --- status steps --------------------------------------------------------------------------


def test_a_status_set_by_mistake_is_withdrawn_and_the_previous_one_comes_back(
    cast, case, client_for
):
    today = timezone.localdate()
    opened = case.status_changes.get()
    with pytest.raises(services.CaseError, match="only step"):
        services.status_withdraw(actor=cast["lawyer"], change=opened, reason="x")
    wrong = services.status_record(
        actor=cast["lawyer"], case=case, status=Status.RELOCATED, on=today
    )
    case.refresh_from_db()
    assert case.status == Status.RELOCATED

    client = client_for("lawyer")
    response = client.post(
        reverse("cases:status_withdraw", args=[wrong.pk]), {"withdraw-reason": "не тот случай"}
    )
    assert response.status_code == 302
    page = _page(client, response["Location"])
    assert "Withdrawn. It is kept in its history." in page
    case.refresh_from_db()
    assert case.status == Status.IN_TRANSIT
    assert list(case.status_changes.all()) == [opened]
    assert [s["status"] for s in _export_json(client, case)["timeline"]] == [Status.IN_TRANSIT]

    (row,) = _events(Event.STATUS_WITHDRAWN, case)
    assert row.data == {"status_step": wrong.pk, "version": 1, "status": Status.IN_TRANSIT}
    page = _page(client, reverse("cases:status_history", args=[wrong.pk]))
    assert "Relocated" in page and "не тот случай" in page


def test_a_status_step_is_corrected_through_its_page(cast, case, client_for):
    today = timezone.localdate()
    step = case.status_changes.get()  # "in transit", set when the case was opened
    client = client_for("caseworker")
    url = reverse("cases:status_correct", args=[step.pk])
    refused = client.post(
        url,
        {"correct-status": Status.RELEASED, "correct-on": today.isoformat(), "correct-reason": ""},
    )
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    response = client.post(
        url,
        {
            "correct-status": Status.RELEASED,
            "correct-on": today.isoformat(),
            "correct-note": "",
            "correct-reason": "его отпустили, а не задержали",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.RELEASED
    (row,) = _events(Event.STATUS_CORRECTED, case)
    assert row.data["fields"] == ["status"] and row.data["status"] == Status.RELEASED
    page = _page(client, reverse("cases:status_history", args=[step.pk]))
    assert "In transit" in page and "его отпустили" in page
    # Who holds nothing of the case gets no form either, only the 404 of the record.
    _page(client_for("documentation_officer"), url, status=405)
    assert client_for("documentation_officer").post(url, {}).status_code == 403


def test_the_audit_log_names_a_correction_in_the_readers_words(cast, case, client_for):
    note = services.note_add(actor=cast["caseworker"], case=case, text=WRONG)
    services.note_correct(actor=cast["caseworker"], note=note, text=RIGHT, legal=True, reason="r")
    page = _page(client_for("coordinator"), reverse("home:audit"))
    assert "Note corrected" in page
    assert "for the lawyer too" in page  # the fields, by their labels
    assert RIGHT not in page and WRONG not in page


def test_the_history_page_speaks_the_readers_language(cast, case, client_for):
    note = services.note_add(actor=cast["caseworker"], case=case, text=WRONG)
    services.note_correct(actor=cast["caseworker"], note=note, text=RIGHT, legal=False, reason="r")
    client = client_for("caseworker")
    response = client.get(reverse("cases:note_history", args=[note.pk]), HTTP_ACCEPT_LANGUAGE="ru")
    page = response.content.decode()
    assert "История" in page and "Исправить" in page and "Отозвать" in page


# --- a case's details ----------------------------------------------------------------------


def test_an_edit_of_the_details_keeps_what_they_were_for_a_coordinator(cast, case, client_for):
    def update(summary, city="Алматы"):
        services.case_update(
            actor=cast["coordinator"],
            case=case,
            urgency=3,
            languages="русский",
            city=city,
            summary=summary,
        )

    update("Живёт у брата, ищет работу")
    update("Переехал в общежитие")
    update("Переехал в общежитие")  # nothing changes: nothing kept
    assert list(case.versions.values_list("number", flat=True)) == [2, 1]
    with connection.cursor() as cursor:
        cursor.execute('SELECT "values" FROM cases_caseversion')
        assert all("брата".encode() not in bytes(row[0]) for row in cursor.fetchall())
    rows = sorted(_events(Event.CASE_UPDATED, case), key=lambda row: row.seq)
    assert [row.data.get("version") for row in rows] == [1, 2, None]

    history = reverse("cases:case_history", args=[case.pk])
    assert history in _page(client_for("coordinator"), reverse("cases:edit", args=[case.pk]))
    page = _page(client_for("coordinator"), history)
    assert "Живёт у брата, ищет работу" in page and "Переехал в общежитие" in page
    assert "Version 2" in page
    _page(client_for("caseworker"), history, status=403)
