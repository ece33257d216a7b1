"""Statistics on a small data set whose figures are worked out by hand."""

from datetime import date

import pytest
from django.urls import reverse

from waystation.accounts.policy import Perm, system_actor
from waystation.outreach import services
from waystation.outreach.statistics import outreach_statistics

pytestmark = pytest.mark.django_db

# Writes in these tests are made as an operator's command would make them.
EDITOR = system_actor("test.outreach", Perm.OUTREACH_EDIT)


@pytest.fixture
def known(cast):
    """Embassy DE: 3 approaches by email, answered after 4 and 10 days, one silent.
    NGO (no country): 2 approaches by letter, one answered after 30 days. Foundation SE: one
    web form, never answered."""
    embassy = services.organisation_create(
        actor=EDITOR, name="Embassy of Germany", kind="embassy", country="DE"
    )
    ngo = services.organisation_create(actor=EDITOR, name="Pro Asyl", kind="ngo")
    foundation = services.organisation_create(
        actor=EDITOR, name="Fund", kind="foundation", country="SE"
    )

    def approach(org, sent, channel, answered=None, kind="declined"):
        item = services.approach_create(actor=EDITOR, organisation=org, date=sent, channel=channel)
        if answered:
            services.response_record(actor=EDITOR, approach=item, kind=kind, date=answered)

    approach(embassy, date(2024, 1, 1), "email", date(2024, 1, 5))
    approach(embassy, date(2024, 1, 10), "email", date(2024, 1, 20), kind="referred")
    approach(embassy, date(2024, 2, 1), "email")
    approach(ngo, date(2024, 2, 3), "letter", date(2024, 3, 4), kind="help_offered")
    approach(ngo, date(2024, 3, 1), "letter")
    approach(foundation, date(2024, 3, 2), "web_form")
    return embassy, ngo, foundation


def _by_key(rows):
    return {row.key: (row.approaches, row.answered, row.median_days) for row in rows}


def test_figures_match_the_hand_count(cast, known):
    figures = outreach_statistics(cast["coordinator"])
    assert figures["total"] == 6
    assert _by_key(figures["kind"]) == {
        "embassy": (3, 2, 7),
        "ngo": (2, 1, 30),
        "foundation": (1, 0, None),
    }
    assert _by_key(figures["channel"]) == {
        "email": (3, 2, 7),
        "letter": (2, 1, 30),
        "web_form": (1, 0, None),
    }
    assert _by_key(figures["country"]) == {"DE": (3, 2, 7), "": (2, 1, 30), "SE": (1, 0, None)}
    assert figures["months"] == [("2024-01", 2, 2), ("2024-02", 2, 0), ("2024-03", 2, 1)]
    assert [o.name for o in figures["never_answered"]] == ["Fund"]


def test_the_period_filters(cast, known):
    figures = outreach_statistics(
        cast["coordinator"], since=date(2024, 2, 1), until=date(2024, 2, 28)
    )
    assert figures["total"] == 2
    assert _by_key(figures["kind"]) == {"embassy": (1, 0, None), "ngo": (1, 1, 30)}


def test_page_shows_tables_and_svg_charts(client_for, known):
    client = client_for("caseworker")
    page = client.get(reverse("outreach:statistics"))
    text = page.content.decode()
    assert page.status_code == 200 and "67 %" in text and "Fund" in text
    assert text.count('<img class="chart"') == 5
    chart = client.get(reverse("outreach:chart", args=["kind"]), {"since": "2024-01-01"})
    assert chart["Content-Type"] == "image/svg+xml"
    svg = chart.content.decode()
    assert "<svg" in svg and "<script" not in svg
    assert "style-src 'self' 'unsafe-inline'" in chart["Content-Security-Policy"]
    assert "script-src 'self'" in chart["Content-Security-Policy"]
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]
    assert client.get(reverse("outreach:chart", args=["nope"])).status_code == 404


def test_statistics_are_refused_to_roles_without_outreach(client_for, known):
    assert client_for("treasurer").get(reverse("outreach:statistics")).status_code == 403
    assert client_for("treasurer").get(reverse("outreach:chart", args=["kind"])).status_code == 403


def test_the_no_answer_share_per_month_sent(cast, known):
    rows = outreach_statistics(cast["coordinator"])["no_answer"]
    assert [(r.month, r.sent, r.silent) for r in rows] == [
        ("2024-01", 2, 0),
        ("2024-02", 2, 1),
        ("2024-03", 2, 2),
    ]
    assert [r.share for r in rows] == [0.0, 0.5, 1.0]


def test_the_no_answer_chart_and_table_in_the_readers_language(client_for, known):
    client = client_for("caseworker")
    client.cookies["ws_language"] = "ru"
    page = client.get(reverse("outreach:statistics")).content.decode()
    assert reverse("outreach:chart", args=["no-answer"]) in page
    assert "февр. 2024\u202fг." in page and "50 %" in page and "100 %" in page
    assert "Нет ответа" in page
    svg = client.get(reverse("outreach:chart", args=["no-answer"])).content.decode()
    assert "<svg" in svg and "<script" not in svg
    assert "март 2024\u202fг." in svg and "100 %" in svg
    assert "Доля обращений без ответа" in svg
