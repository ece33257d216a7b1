"""Mistakes corrected with the history kept (issue 25): a posted transaction reversed, a waiting
payment withdrawn by the person who recorded it, returning donors, and the monthly report in
one currency at the rates entered. Each as the treasurer sees it, refused to members without
ledger roles, audited, with the earlier transaction still readable."""

import inspect
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from waystation.accounts.tests.factories import UserFactory
from waystation.audit.models import AuditEvent
from waystation.cases.tests.factories import make_case
from waystation.core.refusals import Forbidden
from waystation.ledger import selectors, services
from waystation.ledger.books import LedgerError
from waystation.ledger.models import Category, Donor, Kind, Posting, State, Transaction
from waystation.ledger.sums import money_sum

from .factories import make_books

D = Decimal
DAY = date(2026, 3, 10)


@pytest.fixture
def books(cast, settings):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "500", "RUB": "50000", "KZT": "250000"}
    books = make_books(cast["treasurer"])
    services.donation_record(
        actor=cast["treasurer"],
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("1000"),
        date=DAY,
    )
    return books


def balance(account):
    return money_sum(Posting.objects.filter(account=account, posted=True))


def pay(cast, books, amount, *, who="treasurer", on=DAY, case=None):
    return services.disbursement_record(
        actor=cast[who],
        account=books["cash_eur"],
        fund=books["general"],
        amount=D(amount),
        date=on,
        category=Category.FOOD,
        case=case,
    )


# --- reversal ----------------------------------------------------------------------------------


def test_a_reversal_undoes_the_postings_links_both_and_is_audited(cast, books):
    t = cast["treasurer"]
    paid = pay(cast, books, "120.50")
    assert balance(books["cash_eur"]) == D("879.50")
    reversal = services.transaction_reverse(actor=t, entry=paid, reason="recorded twice")
    assert reversal.kind == Kind.REVERSAL and reversal.state == State.POSTED
    assert reversal.reverses == paid and list(paid.reversals.all()) == [reversal]
    assert reversal.date == DAY and reversal.reason == "recorded twice"
    assert balance(books["cash_eur"]) == D("1000")
    paid.refresh_from_db()
    assert paid.state == State.POSTED and paid.amount == D("120.50")  # the original as it was
    assert sorted(p.amount for p in reversal.postings.all()) == [D("-120.50"), D("120.50")]
    audit = AuditEvent.objects.filter(event="ledger.reversed").get()
    assert audit.data["kind"] == "reversal" and audit.data["tx"] == paid.pk
    assert audit.data["on"] == DAY.isoformat() and audit.object_id == str(reversal.pk)


def test_reversals_are_refused_where_they_would_be_wrong(cast, books):
    t = cast["treasurer"]
    paid = pay(cast, books, "10")
    with pytest.raises(LedgerError, match="Say why"):
        services.transaction_reverse(actor=t, entry=paid, reason="  ")
    reversal = services.transaction_reverse(actor=t, entry=paid, reason="wrong account")
    with pytest.raises(LedgerError, match="reversed already"):
        services.transaction_reverse(actor=t, entry=paid, reason="again")
    with pytest.raises(LedgerError, match="A reversal cannot be reversed"):
        services.transaction_reverse(actor=t, entry=reversal, reason="undo the undo")
    waiting = pay(cast, books, "600")
    assert waiting.state == State.PENDING
    with pytest.raises(LedgerError, match="Only a posted transaction"):
        services.transaction_reverse(actor=t, entry=waiting, reason="not yet")
    with pytest.raises(Forbidden):
        services.transaction_reverse(actor=cast["coordinator"], entry=paid, reason="x")
    assert Transaction.objects.filter(kind=Kind.REVERSAL).count() == 1


def test_the_reversal_is_dated_as_chosen_and_today_when_the_period_is_closed(cast, books):
    t = cast["treasurer"]
    today = timezone.localdate()
    first = pay(cast, books, "10")
    assert (
        services.transaction_reverse(actor=t, entry=first, reason="typo", when="today").date
        == today
    )
    second = pay(cast, books, "20")
    services.cash_count_record(
        actor=t,
        account=books["cash_eur"],
        fund=books["general"],
        counted=D("970"),  # 1000 - 10 - 20: the first reversal is dated later
        date=DAY + timedelta(days=3),
    )
    closed = services.transaction_reverse(actor=t, entry=second, reason="typo", when="same")
    assert closed.date == today  # the count on a later date fixed what the box held
    assert balance(books["cash_eur"]) == D("1000")


def test_reversing_a_large_donation_waits_for_a_second_person(cast, books):
    """Taking a gift out of the books alone would be a way round the approval of payments."""
    t = cast["treasurer"]
    gift = Transaction.objects.get(kind=Kind.DONATION)
    reversal = services.transaction_reverse(actor=t, entry=gift, reason="bounced")
    assert reversal.state == State.PENDING and balance(books["cash_eur"]) == D("1000")
    with pytest.raises(LedgerError, match="Someone other than"):
        services.disbursement_approve(actor=t, entry=reversal)
    services.disbursement_approve(actor=cast["coordinator"], entry=reversal)
    assert balance(books["cash_eur"]) == 0


def test_reports_and_spending_per_case_net_a_reversed_payment(cast, books):
    case = make_case()
    paid = pay(cast, books, "300", case=case)
    pay(cast, books, "50", case=case)
    services.transaction_reverse(actor=cast["treasurer"], entry=paid, reason="wrong case")
    months = selectors.monthly(cast["treasurer"], currency="EUR")
    assert [(m.income, m.spent) for m in months] == [(D("1000"), D("50"))]
    assert selectors.spending_per_case(cast["treasurer"]) == [(case.codename, "EUR", D("50"), 2)]
    figures = selectors.balances(cast["treasurer"])
    assert dict(figures.currencies)["EUR"] == D("950")


def test_the_treasurer_reverses_from_the_transaction_page(client_for, cast, books):
    paid = pay(cast, books, "75")
    client = client_for("treasurer")
    page = client.get(reverse("ledger:transaction", args=[paid.pk])).content.decode()
    assert reverse("ledger:reversal_new", args=[paid.pk]) in page
    url = reverse("ledger:reversal_new", args=[paid.pk])
    refused = client.post(url, {"reason": "", "when": "same"})
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    kept = client.post(url, {"reason": "x" * 301, "when": "same"})
    assert kept.status_code == 400 and "x" * 300 in kept.content.decode()
    done = client.post(url, {"reason": "recorded twice", "when": "same"}, follow=True)
    text = done.content.decode()
    reversal = Transaction.objects.get(kind=Kind.REVERSAL)
    assert "Reversed, on the original" in text and "recorded twice" in text
    assert f'This reverses <a href="{reverse("ledger:transaction", args=[paid.pk])}"' in text
    original = client.get(reverse("ledger:transaction", args=[paid.pk])).content.decode()
    assert f'Reversed by <a href="{reverse("ledger:transaction", args=[reversal.pk])}"' in original
    assert "75.00 EUR" in original  # the earlier transaction is still readable
    assert url not in original  # reversed once: no button any more
    journal = client.get(reverse("ledger:journal")).content.decode()
    assert "Reversal" in journal


def test_only_those_who_record_may_reverse(client_for, cast, books):
    paid = pay(cast, books, "75")
    url = reverse("ledger:reversal_new", args=[paid.pk])
    coordinator = client_for("coordinator")
    assert (
        url not in coordinator.get(reverse("ledger:transaction", args=[paid.pk])).content.decode()
    )
    assert coordinator.post(url, {"reason": "x", "when": "same"}).status_code == 403
    for who in ("caseworker", "screener", "lawyer"):
        assert client_for(who).post(url, {"reason": "x", "when": "same"}).status_code == 403
    assert not Transaction.objects.filter(kind=Kind.REVERSAL).exists()


# --- withdrawal --------------------------------------------------------------------------------


def test_the_requester_withdraws_a_waiting_payment_which_stays_in_the_history(
    client_for, cast, books
):
    waiting = pay(cast, books, "600")
    assert waiting.state == State.PENDING
    client = client_for("treasurer")
    page = client.get(reverse("ledger:transaction", args=[waiting.pk])).content.decode()
    assert reverse("ledger:withdraw", args=[waiting.pk]) in page
    done = client.post(reverse("ledger:withdraw", args=[waiting.pk]), follow=True)
    text = done.content.decode()
    assert "Withdrawn: it will not be paid" in text and "600.00 EUR" in text
    waiting.refresh_from_db()
    assert waiting.state == State.WITHDRAWN and waiting.decided_by == cast["treasurer"]
    assert balance(books["cash_eur"]) == D("1000")
    assert "Nothing is waiting." in client.get(reverse("ledger:pending")).content.decode()
    journal = client.get(reverse("ledger:journal")).content.decode()
    assert reverse("ledger:transaction", args=[waiting.pk]) not in journal
    history = client.get(reverse("ledger:journal"), {"state": "withdrawn"}).content.decode()
    assert reverse("ledger:transaction", args=[waiting.pk]) in history
    assert selectors.balances(cast["treasurer"]).pending == 0
    audit = AuditEvent.objects.filter(event="ledger.withdrawn").get()
    assert audit.object_id == str(waiting.pk) and audit.actor == cast["treasurer"]
    assert not AuditEvent.objects.filter(event="ledger.decided").exists()
    with pytest.raises(LedgerError, match="not waiting"):
        services.disbursement_approve(actor=cast["coordinator"], entry=waiting)


def test_only_the_requester_withdraws_and_only_while_it_waits(client_for, cast, books):
    waiting = pay(cast, books, "600")
    other = UserFactory(username="treasurer2", roles=["treasurer"])
    with pytest.raises(LedgerError, match="Only the person who recorded it"):
        services.disbursement_withdraw(actor=other, entry=waiting)
    with pytest.raises(Forbidden):
        services.disbursement_withdraw(actor=cast["coordinator"], entry=waiting)
    for who in ("coordinator", "caseworker", "screener"):
        assert (
            client_for(who).post(reverse("ledger:withdraw", args=[waiting.pk])).status_code == 403
        )
    posted = pay(cast, books, "10", who="coordinator") if False else pay(cast, books, "1")
    assert posted.state == State.PENDING or posted.state == State.POSTED
    services.disbursement_approve(actor=cast["coordinator"], entry=waiting)
    with pytest.raises(LedgerError, match="Only a transaction waiting"):
        services.disbursement_withdraw(actor=cast["treasurer"], entry=waiting)
    assert Transaction.objects.get(pk=waiting.pk).state == State.POSTED


# --- donors ------------------------------------------------------------------------------------


def test_a_returning_donor_is_chosen_and_counted_together(client_for, cast, books):
    client = client_for("treasurer")
    form = {
        "account": books["cash_eur"].pk,
        "fund": books["general"].pk,
        "amount": "50",
        "date": "2026-03-11",
        "donor": "",
        "donor_kind": "pseudonym",
        "donor_name": "Friend in Riga",
    }
    assert client.post(reverse("ledger:donation_new"), form).status_code == 302
    donor = Donor.objects.get(kind="pseudonym")
    page = client.get(reverse("ledger:donation_new")).content.decode()
    assert f'<option value="{donor.pk}">Friend in Riga (Pseudonym)</option>' in page
    again = {
        **form,
        "donor": str(donor.pk),
        "donor_kind": "anonymous",
        "donor_name": "",
        "amount": "70",
    }
    assert client.post(reverse("ledger:donation_new"), again).status_code == 302
    assert Donor.objects.filter(kind="pseudonym").count() == 1
    assert Transaction.objects.filter(donor=donor).count() == 2
    donors = client.get(reverse("ledger:donors")).content.decode()
    assert "Friend in Riga" in donors and "120.00 EUR" in donors and "Returning donor" in donors
    # the anonymous first donation of the fixture is nobody's
    assert "Anonymous" not in donors.split("<tbody>")[1]
    (row,) = selectors.donations_per_donor(cast["treasurer"])
    assert (row.donations, row.totals, row.returning) == (2, [("EUR", D("120.00"))], True)
    recorded = AuditEvent.objects.filter(event="ledger.recorded", data__kind="donation")
    assert recorded.count() == 3  # the fixture's and these two
    pledge = services.pledge_create(
        actor=cast["treasurer"], donor=donor, fund=books["general"], currency="EUR", amount=D("9")
    )
    assert pledge.donor == donor and Donor.objects.filter(kind="pseudonym").count() == 1


def test_donors_are_for_those_who_record_donations(client_for, cast, books):
    services.donation_record(
        actor=cast["treasurer"],
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("5"),
        date=DAY,
        donor_kind="named",
        donor_name="Johanna Beispielfrau",
    )
    for who in ("coordinator", "caseworker", "screener", "documentation_officer"):
        assert client_for(who).get(reverse("ledger:donors")).status_code == 403, who
    assert selectors.donations_per_donor(cast["coordinator"]) == []
    overview = client_for("coordinator").get(reverse("ledger:overview")).content.decode()
    assert reverse("ledger:donors") not in overview
    treasurer = client_for("treasurer").get(reverse("ledger:overview")).content.decode()
    assert reverse("ledger:donors") in treasurer


def test_an_anonymous_donor_cannot_be_chosen_again(cast, books):
    anonymous = Transaction.objects.get(kind=Kind.DONATION).donor
    with pytest.raises(LedgerError, match="Choose a donor from the list"):
        services.donation_record(
            actor=cast["treasurer"],
            account=books["cash_eur"],
            fund=books["general"],
            amount=D("5"),
            date=DAY,
            donor=anonymous,
        )


# --- converted report --------------------------------------------------------------------------


def test_monthly_report_in_one_currency_states_its_rates_and_flags_a_missing_one(
    client_for, cast, books
):
    t = cast["treasurer"]
    services.donation_record(
        actor=t, account=books["cash_rub"], fund=books["general"], amount=D("10000"), date=DAY
    )
    services.donation_record(
        actor=t,
        account=books["card_kzt"],
        fund=books["general"],
        amount=D("52000"),
        date=date(2026, 4, 2),
    )
    pay(cast, books, "100", on=date(2026, 3, 20))
    services.rate_set(actor=t, currency="EUR", quote="RUB", rate=D("100"), as_of=date(2026, 3, 1))
    response = client_for("treasurer").get(reverse("ledger:reports"), {"currency": "EUR"})
    text = response.content.decode()
    assert "All currencies in EUR" in text
    assert "1,100.00 EUR" in text or "1 100,00 EUR" in text or "1100.00 EUR" in text
    assert "No total: no rate entered for KZT." in text
    assert "1 RUB = 0.01 EUR" in text and "entered 1 EUR = 100 RUB" in text
    converted = selectors.monthly_converted(t, currency="EUR")
    march, april = converted.months
    assert (march.income, march.spent, march.missing) == (D("1100.00"), D("100.00"), [])
    assert (april.income, april.spent, april.missing) == (None, None, ["KZT"])
    services.rate_set(actor=t, currency="EUR", quote="KZT", rate=D("520"))
    april = selectors.monthly_converted(t, currency="EUR").months[1]
    assert (april.income, april.missing) == (D("100.00"), [])


# --- the second lock ---------------------------------------------------------------------------


def test_every_ledger_service_refuses_a_member_without_ledger_roles(db):
    """Every public function of the services package checks its permission first: called with
    nothing else (every other argument None), a member without roles is refused."""
    member = UserFactory(username="nobody", roles=[])
    names = [n for n in services.__all__ if inspect.isfunction(getattr(services, n))]
    assert "transaction_reverse" in names and "disbursement_withdraw" in names
    for name in names:
        function = getattr(services, name)
        params = inspect.signature(function).parameters
        arguments = {
            p: None
            for p, spec in params.items()
            if p != "actor" and spec.kind == spec.KEYWORD_ONLY and spec.default is spec.empty
        }
        with pytest.raises(Forbidden):
            function(actor=member, **arguments)
    assert not AuditEvent.objects.filter(event__startswith="ledger.").exists()


def test_the_page_says_when_a_closed_period_moved_the_reversal_to_today(client_for, cast, books):
    paid = pay(cast, books, "20")
    services.cash_count_record(
        actor=cast["treasurer"],
        account=books["cash_eur"],
        fund=books["general"],
        counted=D("980"),
        date=DAY,
    )
    response = client_for("treasurer").post(
        reverse("ledger:reversal_new", args=[paid.pk]),
        {"reason": "wrong fund", "when": "same"},
        follow=True,
    )
    assert "Reversed, dated today: a cash count of the account" in response.content.decode()
    assert Transaction.objects.get(kind=Kind.REVERSAL).date == timezone.localdate()


def test_a_member_without_roles_is_refused_every_new_page(client, cast, books):
    nobody = UserFactory(username="nobody", roles=[])
    client.force_login(nobody)
    paid = pay(cast, books, "10")
    for url in (
        reverse("ledger:reversal_new", args=[paid.pk]),
        reverse("ledger:donors"),
        reverse("ledger:reports"),
        reverse("ledger:transaction", args=[paid.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("ledger:withdraw", args=[paid.pk])).status_code == 403
    assert client.post(
        reverse("ledger:reversal_new", args=[paid.pk]), {"reason": "x", "when": "same"}
    ).status_code == 403
    assert not Transaction.objects.filter(kind=Kind.REVERSAL).exists()
