"""A detention that goes on stays on top of the dashboard until a release, and the case reads
"detained since" the day of the detention, not the day someone typed it in."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from waystation.cases import selectors, services
from waystation.cases.models import Status
from waystation.core.dates import format_named

from .factories import make_case

pytestmark = pytest.mark.django_db


def _dashboard(client, language="en") -> str:
    client.cookies["ws_language"] = language
    return client.get(reverse("home:dashboard")).content.decode()


def test_an_ongoing_detention_stays_on_the_dashboard_until_the_release(client_for, cast):
    today = timezone.localdate()
    detained_on = today - timedelta(days=12)
    case = make_case(codename="quiet-river-3", lawyer=cast["lawyer"])
    services.risk_record(
        actor=cast["lawyer"], case=case, kind="detention", on=detained_on, place="SIZO-1"
    )
    assert [e.case.codename for e in selectors.pressing_for(cast["coordinator"])] == [
        "quiet-river-3"
    ]
    page = _dashboard(client_for("coordinator"))
    shown = format_named(detained_on, "DATE_FORMAT", language="en")
    assert "quiet-river-3" in page and f"since {shown}" in page and "SIZO-1" in page
    with translation.override("ru"):
        shown_ru = format_named(detained_on, "DATE_FORMAT")
    assert f"с {shown_ru}" in _dashboard(client_for("coordinator"), "ru")

    services.risk_record(actor=cast["lawyer"], case=case, kind="release", on=today)
    case.refresh_from_db()
    assert case.status == Status.RELEASED
    assert selectors.pressing_for(cast["coordinator"]) == []
    assert "quiet-river-3" not in _dashboard(client_for("coordinator"))


def test_the_status_reads_since_the_detention_not_since_it_was_typed(client_for, cast):
    today = timezone.localdate()
    detained_on = today - timedelta(days=4)
    case = make_case(lawyer=cast["lawyer"])
    # The status set first, on the day it was typed; the detention with its real date after.
    services.status_record(actor=cast["lawyer"], case=case, status=Status.DETAINED, on=today)
    services.risk_record(actor=cast["lawyer"], case=case, kind="detention", on=detained_on)
    case.refresh_from_db()
    assert (case.status, case.status_since) == (Status.DETAINED, detained_on)
    client = client_for("coordinator")
    client.cookies["ws_language"] = "ru"
    page = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    with translation.override("ru"):
        assert f"с {format_named(detained_on, 'DATE_FORMAT')}" in page
        assert f"с {format_named(today, 'DATE_FORMAT')}" not in page


def test_a_detention_ended_by_a_release_stays_history(cast):
    today = timezone.localdate()
    case = make_case(lawyer=cast["lawyer"])
    services.risk_record(
        actor=cast["lawyer"], case=case, kind="detention", on=today - timedelta(days=30)
    )
    services.risk_record(
        actor=cast["lawyer"], case=case, kind="release", on=today - timedelta(days=20)
    )
    services.risk_record(
        actor=cast["lawyer"], case=case, kind="detention", on=today - timedelta(days=30)
    )
    case.refresh_from_db()
    assert (case.status, case.status_since) == (Status.RELEASED, today - timedelta(days=20))
    assert selectors.pressing_for(cast["coordinator"]) == []


def test_ongoing_detentions_come_first_then_the_week(cast):
    today = timezone.localdate()
    boss = cast["coordinator"]
    hearing = make_case(codename="hearing-case-1")
    services.risk_record(actor=boss, case=hearing, kind="hearing", on=today + timedelta(days=2))
    detained = make_case(codename="detained-case-2", urgency=1)
    services.risk_record(actor=boss, case=detained, kind="detention", on=today - timedelta(days=3))
    pressing = selectors.pressing_for(boss)
    assert [(e.case.codename, getattr(e, "ongoing", False)) for e in pressing] == [
        ("detained-case-2", True),
        ("hearing-case-1", False),
    ]
    assert [e.case.codename for e in selectors.pressing_for(boss, limit=1)] == ["detained-case-2"]


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("en", "Detained now, and detentions and hearings in the next 7 days"),
        ("ru", "Под стражей сейчас, задержания и заседания на 7 дней вперёд"),
        ("uk", "Під вартою зараз, затримання та засідання на 7 днів уперед"),
    ],
)
def test_the_pressing_heading_is_in_the_readers_language_with_its_plural(
    client_for, language, heading
):
    # Worked out once per language (home.dashboard), the plural form still the language's own.
    page = _dashboard(client_for("coordinator"), language)
    assert f'<h2 id="pressing-heading">{heading}</h2>' in page
    assert f'<h2 id="pressing-heading">{heading}</h2>' in _dashboard(
        client_for("coordinator"), language
    )


def test_a_caseworker_sees_the_detentions_of_his_cases_only(client_for, cast):
    # The events come from the ongoing detentions of the cases the policy lets him see
    # (selectors._ongoing): another caseworker's detained case never reaches his dashboard.
    today = timezone.localdate()
    mine = make_case(codename="mine-detained-1", caseworker=cast["caseworker"])
    other = make_case(codename="theirs-detained-2", urgency=1)
    for case in (mine, other):
        services.risk_record(
            actor=cast["coordinator"], case=case, kind="detention", on=today - timedelta(days=2)
        )
    assert [e.case.codename for e in selectors.pressing_for(cast["caseworker"])] == [
        "mine-detained-1"
    ]
    page = _dashboard(client_for("caseworker"))
    assert "mine-detained-1" in page and "theirs-detained-2" not in page
    assert {e.case.codename for e in selectors.pressing_for(cast["coordinator"])} == {
        "mine-detained-1",
        "theirs-detained-2",
    }
