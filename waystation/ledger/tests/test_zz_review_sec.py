"""TEMPORARY security review tests — delete after review."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from waystation.cases.models import FamilyMember
from waystation.cases.tests.factories import make_case
from waystation.evidence.models import Testimony
from waystation.ledger import selectors, services
from waystation.ledger.models import State
from waystation.ledger.tests.factories import make_books

DAY = date(2026, 3, 10)


@pytest.fixture
def books(cast, settings):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "500", "USD": "500", "RUB": "50000"}
    b = make_books(cast["treasurer"])
    services.donation_record(
        actor=cast["treasurer"],
        account=b["cash_eur"],
        fund=b["general"],
        amount=D("10000"),
        date=DAY,
    )
    return b


def _eur(cast, b):
    bal = dict(selectors.balances(cast["treasurer"]).currencies)
    return bal.get("EUR", D(0))


def test_cash_count_removes_money_without_second_approver(cast, books):
    t = cast["treasurer"]
    assert _eur(cast, books) == D("10000")
    # A disbursement of 9000 waits for a second approver ...
    pending = services.disbursement_record(
        actor=t,
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("9000"),
        date=DAY,
        category="other",
    )
    assert pending.state == State.PENDING
    # ... but a "cash count" finding only 1000 posts -9000 at once, with no approver.
    entry = services.cash_count_record(
        actor=t, account=books["cash_eur"], fund=books["general"], counted=D("1000"), date=DAY
    )
    assert entry.state == State.POSTED
    assert _eur(cast, books) == D("1000")


def test_exchange_at_absurd_rate_posts_without_second_approver(cast, books):
    t = cast["treasurer"]
    usd = services.account_create(actor=t, name="USD box", kind="cash", currency="USD")
    entry = services.exchange_record(
        actor=t,
        source=books["cash_eur"],
        target=usd,
        fund=books["general"],
        sold=D("9999"),
        bought=D("0.01"),
        date=DAY,
    )
    assert entry.state == State.POSTED
    assert _eur(cast, books) == D("1")


def test_split_disbursements_under_threshold_all_post(cast, books):
    t = cast["treasurer"]
    for _ in range(10):
        e = services.disbursement_record(
            actor=t,
            account=books["cash_eur"],
            fund=books["general"],
            amount=D("500"),
            date=DAY,
            category="other",
        )
        assert e.state == State.POSTED
    assert _eur(cast, books) == D("5000")


def test_huge_exponent_amount_is_a_500_not_a_form_error(client_for, cast, books):
    client = client_for("treasurer")
    client.raise_request_exception = False
    response = client.post(
        reverse("ledger:disbursement_new"),
        {
            "account": books["cash_eur"].pk,
            "fund": books["general"].pk,
            "amount": "1e30",
            "date": "2026-03-10",
            "category": "rent",
            "codename": "",
            "memo": "",
        },
    )
    assert response.status_code == 500


def test_codename_oracle_for_treasurer(client_for, cast, books):
    case = make_case(caseworker=cast["caseworker"])
    client = client_for("treasurer")
    data = {
        "account": books["cash_eur"].pk,
        "fund": books["general"].pk,
        "amount": "10",
        "date": "2026-03-10",
        "category": "rent",
        "memo": "",
    }
    bad = client.post(reverse("ledger:disbursement_new"), {**data, "codename": "no-such-thing-1"})
    assert bad.status_code == 400 and "No case has this codename" in bad.content.decode()
    good = client.post(reverse("ledger:disbursement_new"), {**data, "codename": case.codename})
    assert good.status_code == 302


def test_lawyer_sees_family_count_care_side_on_readiness(client_for, cast):
    case = make_case(caseworker=cast["caseworker"], lawyer=cast["lawyer"])
    FamilyMember.objects.create(case=case, relation="wife", age=30)
    FamilyMember.objects.create(case=case, relation="son", age=3)
    lawyer = client_for("lawyer")
    page = lawyer.get(reverse("cases:case", kwargs={"pk": case.pk})).content.decode()
    assert "wife" not in page  # the case page hides the care side from the lawyer
    r = lawyer.get(
        reverse("pathways:case_readiness", kwargs={"case": case.pk, "pathway": "de-aufenthg-22"})
    )
    assert r.status_code == 200
    assert "Family members recorded: 2" in r.content.decode()


def test_screener_sees_testimony_metadata_without_evidence_view(client_for, cast):
    case = make_case()
    Testimony.objects.create(
        case=case,
        interviewer=cast["documentation_officer"],
        recorded_by=cast["documentation_officer"],
        language="ru",
        interviewed_on=date(2024, 5, 1),
    )
    from waystation.screening.tests.factories import interviewed

    interviewed(case, cast["screener"])
    page = client_for("screener").get(reverse("screening:case", kwargs={"pk": case.pk}))
    assert page.status_code == 200
    assert "2024-05-01" in page.content.decode()
