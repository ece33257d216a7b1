"""The overview's "Waiting for you": open screening disagreements for those who resolve them,
pending transactions for those who approve them and for the one who recorded them, each a
link to where one acts; one query per figure, whatever the number of rows."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from waystation.cases.tests.factories import make_case
from waystation.ledger import services as ledger
from waystation.ledger.models import Category, State
from waystation.ledger.tests.factories import make_books
from waystation.screening import services as screening
from waystation.screening.tests.factories import interviewed, proposed, second_screener

pytestmark = pytest.mark.django_db


def _disagreement(cast, second):
    case = make_case(caseworker=cast["caseworker"])
    started = interviewed(case, cast["screener"])
    proposed(started, cast["screener"])
    screening.decision_review(
        actor=second,
        screening=started,
        agree=False,
        reasons="It does not add up.",
        no_conflict=True,
    )
    return case


def _pending_payment(treasurer, books):
    entry = ledger.disbursement_record(
        actor=treasurer,
        account=books["cash_eur"],
        fund=books["general"],
        amount=Decimal("900"),
        date=date(2026, 3, 10),
        category=Category.LAWYER,
    )
    assert entry.state == State.PENDING
    return entry


@pytest.fixture
def books(cast, settings):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "500"}
    books = make_books(cast["treasurer"])
    ledger.donation_record(
        actor=cast["treasurer"],
        account=books["cash_eur"],
        fund=books["general"],
        amount=Decimal("5000"),
        date=date(2026, 3, 1),
    )
    return books


def _figures(page: str) -> dict[str, tuple[str, str]]:
    """Each figure of the card: its label -> (link, number)."""
    if 'id="waiting-heading"' not in page:
        return {}
    card = page.split('id="waiting-heading"', 1)[1].split("</section>", 1)[0]
    pairs = card.split("<dt>")[1:]
    figures = {}
    for pair in pairs:
        label, rest = pair.split("</dt>", 1)
        link = rest.split('href="', 1)[1].split('"', 1)[0]
        number = rest.split('">', 1)[1].split("</a>", 1)[0]
        figures[label] = (link, number)
    return figures


def test_each_member_sees_what_waits_for_their_hand(client_for, cast, books):
    _disagreement(cast, second_screener())
    _pending_payment(cast["treasurer"], books)
    dashboard = reverse("home:dashboard")
    coordinator = _figures(client_for("coordinator").get(dashboard).content.decode())
    assert coordinator == {
        "Screening disagreements to resolve": (reverse("screening:disagreements"), "1"),
        "Pending transactions waiting for your approval": (reverse("ledger:pending"), "1"),
    }
    # The treasurer recorded it: not hers to approve, hers to follow (or withdraw).
    treasurer = _figures(client_for("treasurer").get(dashboard).content.decode())
    assert treasurer == {
        "Pending transactions waiting for your approval": (reverse("ledger:pending"), "0"),
        "Your transactions waiting for a second approver": (reverse("ledger:pending"), "1"),
    }
    # The screeners took part and may not resolve; the others hold neither power.
    for name in ("screener", "caseworker", "lawyer", "documentation_officer"):
        assert _figures(client_for(name).get(dashboard).content.decode()) == {}, name


def test_the_links_lead_where_one_acts(client_for, cast, books):
    case = _disagreement(cast, second_screener())
    entry = _pending_payment(cast["treasurer"], books)
    coordinator = client_for("coordinator")
    disagreements = coordinator.get(reverse("screening:disagreements")).content.decode()
    assert case.codename in disagreements
    pending = coordinator.get(reverse("ledger:pending")).content.decode()
    assert reverse("ledger:transaction", args=[entry.pk]) in pending


def test_the_figures_cost_the_same_queries_for_one_row_as_for_five(client_for, cast, books):
    clients = {name: client_for(name) for name in ("coordinator", "treasurer")}
    second = second_screener()
    _disagreement(cast, second)
    _pending_payment(cast["treasurer"], books)
    few = {}
    for name, client in clients.items():
        client.get("/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        few[name] = len(queries.captured_queries)
    for _ in range(4):
        _disagreement(cast, second)
        _pending_payment(cast["treasurer"], books)
    for name, client in clients.items():
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/").content.decode()
        assert len(queries.captured_queries) == few[name], name
        assert ">5</a>" in page
