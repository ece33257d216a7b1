"""Synthetic cases for the demo and the benchmarks: valid, complete, encrypted as real ones,
findable, and audited once."""

import re
from collections import Counter

import pytest
from django.core.management import CommandError

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases import codenames, selectors
from waystation.cases.demo import generate_cases, generate_notes
from waystation.cases.models import Case, Identity, Note, StatusChange, Task
from waystation.cases.search import words
from waystation.cases.selectors import CaseFilters


@pytest.fixture
def generated(cast):
    return generate_cases(30, seed=7, notes=120)


def test_thirty_cases_with_distinct_valid_codenames_and_one_audit_row(cast, generated):
    names = list(Case.objects.values_list("codename", flat=True))
    assert len(names) == len(set(names)) == 30
    assert all(codenames.CODENAME.match(name) and len(name) <= 40 for name in names)
    audit = AuditEvent.objects.filter(event=Event.CASE_CREATED)
    assert [row.data for row in audit] == [{"generated": 30, "notes": 120}]


def test_every_case_has_a_timeline_ending_in_its_status_and_an_identity(cast, generated):
    for case in Case.objects.all():
        newest = StatusChange.objects.filter(case=case).order_by("-on", "-pk").first()
        assert (newest.status, newest.on) == (case.status, case.status_since)
    identities = Identity.objects.all()
    assert identities.count() == 30
    for identity in Identity.objects.all():  # read back: decrypts with the row's own id
        assert identity.legal_name and identity.transliteration.isascii()
        assert identity.birth_date[:2] in {"19", "20"}


def test_work_goes_round_robin_to_active_members(cast, generated):
    caseworkers = Counter(Case.objects.values_list("caseworker__username", flat=True))
    assert set(caseworkers) <= {"caseworker", None} and caseworkers["caseworker"] > 20
    assert "deactivated" not in caseworkers
    assert Case.objects.filter(lawyer=cast["lawyer"]).exists()
    assert Task.objects.exclude(assignee=None).exclude(assignee=cast["caseworker"]).count() == 0


def test_generated_notes_are_found_by_search(cast, generated):
    coordinator = cast["coordinator"]
    assert Note.objects.count() == 120
    for note in Note.objects.order_by("pk")[:10]:
        word = max(words(note.text), key=len)
        found = selectors.cases_for(coordinator, CaseFilters(query=word))
        assert note.case in found, word


def test_enough_variety_for_the_dashboard_and_filters(cast):
    generate_cases(300, seed=3)
    coordinator = cast["coordinator"]
    assert selectors.pressing_for(coordinator)  # detentions and hearings in the coming week
    assert selectors.cases_for(coordinator, CaseFilters(tasks_overdue=True)).exists()
    assert selectors.cases_for(coordinator, CaseFilters(needs_open=True)).exists()
    texts = list(Note.objects.values_list("text", flat=True))  # sealed on PostgreSQL: here
    russian = sum(1 for text in texts if re.search(r"[а-я]", text))
    assert 0.4 < russian / len(texts) < 0.9
    assert len(set(texts)) > 500


def test_more_notes_over_existing_cases(cast, generated):
    assert generate_notes(50, seed=1) == 50
    assert Note.objects.count() == 170
    assert Note.objects.filter(case__lawyer=None, legal=True).count() == 0


def test_demo_generates_cases_on_first_population_only(db, settings):
    from waystation.demo import demo_populate

    assert demo_populate(cases=5)
    handwritten = Case.objects.count() - 5
    assert handwritten >= 1
    assert Case.objects.filter(codename="amber-falcon-27", status="detained").exists()
    assert not demo_populate(cases=5)
    assert Case.objects.count() == handwritten + 5


def test_the_demo_is_written_in_the_language_chosen(db):
    from waystation.accounts.models import User
    from waystation.demo import demo_populate

    assert demo_populate(cases=4, language="ru")
    assert User.objects.get(username="anna").display_name == "Анна (координатор)"
    assert User.objects.get(username="pavel").display_name == "Павел (ушёл из группы)"
    texts = [
        *Task.objects.values_list("title", flat=True),
        *(note.text for note in Note.objects.all()),
        *Case.objects.values_list("summary", flat=True),
    ]
    assert texts and all(re.search("[а-яё]", text) for text in texts)
    assert not any(re.search("[A-Za-z]{3,}", text) for text in texts), texts


def test_the_demo_command_offers_the_interface_languages():
    from waystation.home.management.commands.demo import Command

    parser = Command().create_parser("waystation", "demo")
    assert parser.parse_args(["--language", "uk"]).language == "uk"
    assert parser.parse_args([]).language == "en"
    with pytest.raises(CommandError):
        parser.parse_args(["--language", "fr"])
