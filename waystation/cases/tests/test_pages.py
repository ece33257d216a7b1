"""The case pages as each member of the cast sees them, refusals included."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases import services
from waystation.cases.models import Case, Identity, RiskEvent

from .factories import make_case


@pytest.fixture
def client_case(cast):
    case = make_case(
        codename="amber-falcon-7",
        caseworker=cast["caseworker"],
        lawyer=cast["lawyer"],
        city="Astana",
    )
    services.identity_save(
        actor=cast["coordinator"],
        case=case,
        legal_name="Иван Петров",
        transliteration="Ivan Petrov",
        phone="+7 700 000 00 00",
    )
    return case


@pytest.fixture
def other_case(cast):
    return make_case(codename="quiet-river-3")


def test_caseworker_gets_404_for_unassigned_case_same_as_missing(
    client_for, client_case, other_case
):
    client = client_for("caseworker")
    assert client.get(reverse("cases:case", args=[client_case.pk])).status_code == 200
    forbidden = client.get(reverse("cases:case", args=[other_case.pk]))
    missing = client.get(reverse("cases:case", args=[999_999]))
    assert forbidden.status_code == missing.status_code == 404

    # The same page, but for the path echoed into the language switch and the CSRF token.
    def page(response, path):
        body = response.content.decode().replace(path, "")
        return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", body)

    assert page(forbidden, f"/cases/{other_case.pk}/") == page(missing, "/cases/999999/")
    listing = client.get(reverse("cases:list")).content.decode()
    assert "amber-falcon-7" in listing and "quiet-river-3" not in listing


@pytest.mark.parametrize("name", ["treasurer", "screener", "documentation_officer"])
def test_members_without_cases_are_refused(client_for, client_case, name):
    client = client_for(name)
    assert client.get(reverse("cases:list")).status_code == 403
    assert client.get(reverse("cases:case", args=[client_case.pk])).status_code == 403
    reveal = client.post(reverse("cases:reveal", args=[client_case.pk]), {"reason": "contact"})
    assert reveal.status_code == 403
    assert "Иван" not in reveal.content.decode()
    assert not AuditEvent.objects.filter(event=Event.IDENTITY_REVEALED).exists()


def test_treasurer_never_sees_identity_even_in_exports(client_for, client_case):
    client = client_for("treasurer")
    response = client.post(
        reverse("evidence:case_export", args=[client_case.pk]),
        {"format": "json", "reason": "legal"},
    )
    assert response.status_code == 403
    assert "Иван" not in response.content.decode()


def test_identity_is_hidden_until_a_reasoned_reveal_which_is_audited(client_for, cast, client_case):
    client = client_for("caseworker")
    page = client.get(reverse("cases:case", args=[client_case.pk])).content.decode()
    assert "Иван" not in page and "+7 700" not in page
    assert client.get(reverse("cases:reveal", args=[client_case.pk])).status_code == 405

    no_reason = client.post(reverse("cases:reveal", args=[client_case.pk]), {"reason": ""})
    assert no_reason.status_code == 400 and "Иван" not in no_reason.content.decode()
    assert not AuditEvent.objects.filter(event=Event.IDENTITY_REVEALED).exists()

    revealed = client.post(reverse("cases:reveal", args=[client_case.pk]), {"reason": "contact"})
    assert revealed.status_code == 200
    assert "Иван Петров" in revealed.content.decode()
    assert "no-store" in revealed["Cache-Control"]
    row = AuditEvent.objects.get(event=Event.IDENTITY_REVEALED)
    assert row.actor == cast["caseworker"] and row.object_id == str(client_case.pk)
    assert row.data == {"reason": "contact"}


def test_reasons_to_reveal_are_offered_in_the_readers_language(client_for, client_case):
    client = client_for("caseworker")
    client.cookies["ws_language"] = "ru"
    page = client.get(reverse("cases:case", args=[client_case.pk])).content.decode()
    assert "Чтобы связаться с человеком или навестить его" in page
    assert "To contact or visit the person" not in page


def test_lawyer_reveals_but_sees_no_care_side(client_for, cast, client_case):
    services.need_add(actor=cast["caseworker"], case=client_case, kind="housing", note="flat")
    services.family_add(actor=cast["caseworker"], case=client_case, relation="wife", age=31)
    client = client_for("lawyer")
    page = client.get(reverse("cases:case", args=[client_case.pk])).content.decode()
    assert 'id="risk"' in page and 'id="need"' not in page and 'id="family"' not in page
    refused = client.post(
        reverse("cases:add", args=[client_case.pk, "need"]), {"need-kind": "money"}
    )
    assert refused.status_code == 404
    assert (
        client.post(reverse("cases:reveal", args=[client_case.pk]), {"reason": "legal"}).status_code
        == 200
    )


def test_export_includes_identity_only_with_a_reason_and_is_audited(client_for, client_case):
    client = client_for("coordinator")
    plain = client.post(reverse("evidence:case_export", args=[client_case.pk]), {"format": "json"})
    assert plain.status_code == 200 and plain["Content-Type"] == "application/json"
    assert plain.json()["codename"] == "amber-falcon-7"
    assert "identity" not in plain.json() and "Иван" not in plain.content.decode()
    full = client.post(
        reverse("evidence:case_export", args=[client_case.pk]),
        {"format": "html", "reason": "legal"},
    )
    assert "Иван Петров" in full.content.decode()
    rows = list(AuditEvent.objects.filter(event=Event.CASE_EXPORTED).order_by("seq"))
    assert [(row.data["format"], row.data["identity"]) for row in rows] == [
        ("json", False),
        ("html", True),
    ]


def test_wrong_key_for_a_moved_identity_fails_loudly(cast, client_case, other_case):
    """A ciphertext copied into another case's vault does not decrypt there."""
    from waystation.core.crypto import DecryptionError

    stolen = Identity.objects.filter(pk=client_case.pk).values_list("legal_name", flat=True)[0]
    Identity.objects.filter(pk=other_case.pk).update(legal_name=bytes(stolen))
    with pytest.raises(DecryptionError):
        Identity.objects.get(pk=other_case.pk).legal_name  # noqa: B018


def test_new_case_form_keeps_what_was_typed(client_for):
    client = client_for("coordinator")
    response = client.post(
        reverse("cases:new"),
        {
            "codename": "Кириллица 5",
            "status": "in_transit",
            "urgency": "3",
            "city": "Tbilisi",
            "summary": "Arrived with a child",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Latin letters" in body
    assert 'value="Tbilisi"' in body and "Arrived with a child" in body
    assert not Case.objects.exists()

    created = client.post(
        reverse("cases:new"),
        {
            "codename": "",
            "status": "in_transit",
            "urgency": "3",
            "city": "Tbilisi",
            "tags": "family",
        },
    )
    case = Case.objects.get()
    assert created.status_code == 302 and created["Location"] == reverse(
        "cases:case", args=[case.pk]
    )
    assert case.city == "Tbilisi" and [t.name for t in case.tags.all()] == ["family"]


def test_section_form_errors_keep_what_was_typed(client_for, client_case):
    client = client_for("caseworker")
    response = client.post(
        reverse("cases:add", args=[client_case.pk, "risk"]),
        {"risk-kind": "detention", "risk-on": "", "risk-place": "Temporary detention centre No. 2"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Temporary detention centre No. 2" in body and "This field is required" in body
    assert not RiskEvent.objects.exists()


def test_status_timeline_sets_the_current_status(client_for, client_case):
    client = client_for("caseworker")
    today = timezone.localdate()
    url = reverse("cases:add", args=[client_case.pk, "status"])
    client.post(url, {"status-status": "detained", "status-on": today.isoformat()})
    # Recorded late, for an earlier day: it goes into the timeline, the present stays.
    client.post(
        url, {"status-status": "crossed", "status-on": (today - timedelta(days=30)).isoformat()}
    )
    client_case.refresh_from_db()
    assert client_case.status == "detained" and client_case.status_since == today
    future = client.post(
        url, {"status-status": "released", "status-on": (today + timedelta(days=1)).isoformat()}
    )
    assert future.status_code == 400 and "future" in future.content.decode()
    assert client_case.status_changes.count() == 3  # the opening step and the two above


def test_search_finds_codename_city_tag_and_note_words(client_for, cast, client_case, other_case):
    services.note_add(
        actor=cast["coordinator"], case=other_case, text="Задержан в аэропорту, нужен адвокат"
    )
    services.case_update(
        actor=cast["coordinator"],
        case=other_case,
        urgency=3,
        languages="",
        city="Batumi",
        summary="",
        tags=["medical"],
    )
    client = client_for("coordinator")

    def found(query):
        body = client.post(reverse("cases:list"), {"q": query}).content.decode()
        return {name for name in ("amber-falcon-7", "quiet-river-3") if name in body}

    assert found("falcon") == {"amber-falcon-7"}
    assert found("batumi") == {"quiet-river-3"}
    assert found("medical") == {"quiet-river-3"}
    assert found("задерж") == {"quiet-river-3"}  # a word's beginning, any case
    assert found("аэропорту адвокат") == {"quiet-river-3"}
    assert found("nothing-like-this") == set()


def test_search_never_matches_notes_the_viewer_may_not_read(client_for, cast, client_case):
    services.note_add(actor=cast["caseworker"], case=client_case, text="psychologist on thursday")
    lawyer = client_for("lawyer")
    body = lawyer.post(reverse("cases:list"), {"q": "psychologist"}).content.decode()
    assert "amber-falcon-7" not in body
    caseworker = client_for("caseworker")
    assert (
        "amber-falcon-7"
        in caseworker.post(reverse("cases:list"), {"q": "psychologist"}).content.decode()
    )


def _pressing_codenames(client) -> list[str]:
    body = client.get(reverse("home:dashboard")).content.decode()
    section = body.split('id="pressing-heading"')[1].split("</section>")[0]
    return re.findall(r'class="codename" href="[^"]+">([^<]+)<', section)


def test_detentions_and_hearings_in_the_next_7_days_top_the_dashboard(client_for, cast):
    today = timezone.localdate()
    boss = cast["coordinator"]
    plan = [
        ("edge-seven-1", "hearing", 7, 2),
        ("past-yesterday-2", "detention", -1, 4),
        ("too-far-3", "hearing", 8, 4),
        ("today-detained-4", "detention", 0, 2),
        ("same-day-calm-5", "hearing", 3, 1),
        ("same-day-danger-6", "hearing", 3, 4),
        ("listing-only-7", "wanted", 2, 4),
    ]
    for codename, kind, days, urgency in plan:
        case = make_case(codename=codename, urgency=urgency)
        services.risk_record(actor=boss, case=case, kind=kind, on=today + timedelta(days=days))
    # A detention that began yesterday and has no release goes on: it comes first.
    assert _pressing_codenames(client_for("coordinator")) == [
        "past-yesterday-2",
        "today-detained-4",
        "same-day-danger-6",
        "same-day-calm-5",
        "edge-seven-1",
    ]
    # A caseworker sees the same rule applied to their own cases only.
    assert _pressing_codenames(client_for("caseworker")) == []


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _populate(cast, count: int, tag: str):
    for index in range(count):
        case = make_case(
            codename=f"{tag}-case-{index}", caseworker=cast["caseworker"], lawyer=cast["lawyer"]
        )
        services.case_update(
            actor=cast["coordinator"],
            case=case,
            urgency=3,
            languages="ru",
            city="Astana",
            summary="",
            tags=[f"{tag}{index}", "family"],
        )
        services.risk_record(
            actor=cast["coordinator"],
            case=case,
            kind="hearing",
            on=timezone.localdate() + timedelta(days=2),
        )
        services.task_add(
            actor=cast["coordinator"], case=case, title="call", assignee=cast["caseworker"]
        )
        services.need_add(actor=cast["caseworker"], case=case, kind="housing")
        services.service_record(
            actor=cast["caseworker"], case=case, kind="food", delivered_on=timezone.localdate()
        )
        services.note_add(actor=cast["caseworker"], case=case, text=f"note {index}")
        services.family_add(actor=cast["caseworker"], case=case, relation="son")
        services.document_record(actor=cast["lawyer"], case=case, kind="military_id", state="held")
    return case


@pytest.mark.parametrize("name", ["coordinator", "caseworker", "lawyer"])
def test_query_counts_do_not_grow_with_cases_or_events(client_for, cast, name):
    client = client_for(name)
    first = _populate(cast, 2, "few")
    client.get(reverse("home:dashboard"))  # the first request also loads the session
    few = {
        "list": _queries(client, reverse("cases:list")),
        "dashboard": _queries(client, reverse("home:dashboard")),
        "case": _queries(client, reverse("cases:case", args=[first.pk])),
        "tasks": _queries(client, reverse("cases:tasks")),
    }
    last = _populate(cast, 12, "many")
    for _extra in range(5):  # more events on the one case whose page is counted
        services.note_add(actor=cast["caseworker"], case=last, text="more", legal=True)
        services.risk_record(
            actor=cast["coordinator"], case=last, kind="detention", on=timezone.localdate()
        )
    many = {
        "list": _queries(client, reverse("cases:list")),
        "dashboard": _queries(client, reverse("home:dashboard")),
        "case": _queries(client, reverse("cases:case", args=[last.pk])),
        "tasks": _queries(client, reverse("cases:tasks")),
    }
    assert many == few


def test_lawyer_list_says_nothing_about_the_care_side(client_for, cast, client_case):
    services.need_add(actor=cast["caseworker"], case=client_case, kind="housing")
    lawyer_list = client_for("lawyer").get(reverse("cases:list")).content.decode()
    assert "amber-falcon-7" in lawyer_list
    assert "needs open" not in lawyer_list.lower() and 'name="needs_open"' not in lawyer_list
    caseworker_list = client_for("caseworker").get(reverse("cases:list")).content.decode()
    assert "needs open" in caseworker_list


def test_hearing_outcome_is_added_later_by_the_lawyer_only_on_their_cases(
    client_for, cast, client_case, other_case
):
    today = timezone.localdate()
    hearing = services.risk_record(
        actor=cast["coordinator"], case=client_case, kind="hearing", on=today, place="City court"
    )
    elsewhere = services.risk_record(
        actor=cast["coordinator"], case=other_case, kind="hearing", on=today
    )
    lawyer = client_for("lawyer")
    response = lawyer.post(
        reverse("cases:risk_update", args=[hearing.pk]),
        {f"risk{hearing.pk}-outcome": "Extradition refused", f"risk{hearing.pk}-visits": ""},
    )
    assert response.status_code == 302
    hearing.refresh_from_db()
    assert hearing.outcome == "Extradition refused"
    refused = lawyer.post(
        reverse("cases:risk_update", args=[elsewhere.pk]), {f"risk{elsewhere.pk}-outcome": "x"}
    )
    assert refused.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.outcome == ""


def test_lawyer_export_holds_the_legal_side_only(client_for, cast, client_case):
    services.case_update(
        actor=cast["coordinator"],
        case=client_case,
        urgency=3,
        languages="ru",
        city="Astana",
        summary="Sleeps at a friend's flat",
        tags=[],
    )
    services.need_add(actor=cast["caseworker"], case=client_case, kind="psychological")
    services.note_add(actor=cast["caseworker"], case=client_case, text="panic attacks")
    services.note_add(actor=cast["caseworker"], case=client_case, text="appeal filed", legal=True)
    data = (
        client_for("lawyer")
        .post(reverse("evidence:case_export", args=[client_case.pk]), {"format": "json"})
        .json()
    )
    assert [note["text"] for note in data["notes"]] == ["appeal filed"]
    assert not {"summary", "needs", "family", "services"} & set(data)
    full = (
        client_for("caseworker")
        .post(reverse("evidence:case_export", args=[client_case.pk]), {"format": "json"})
        .json()
    )
    assert full["summary"] == "Sleeps at a friend's flat" and len(full["notes"]) == 2
