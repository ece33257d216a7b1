"""The ledger in Chromium with JavaScript off: a treasurer reads the balances and reports,
records a donation (an amount with too many decimals is refused and the form keeps what was
typed) and a large disbursement that waits; a coordinator approves it; the treasurer reverses
it with a reason, and withdraws a second one while it waits."""

import pytest

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.cases.tests.factories import make_case
from waystation.ledger.demo import demo_ledger
from waystation.ledger.models import State, Transaction

from .test_browser import _sign_in, _sign_in_with_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_treasurer_records_and_a_coordinator_approves(page_for, screenshots):
    import pyotp

    treasurer = UserFactory(username="oleg", display_name="Олег", roles=[Role.TREASURER])
    coordinator = UserFactory(
        username="anna",
        display_name="Анна",
        roles=[Role.COORDINATOR],
        totp_secret=pyotp.random_base32(),
    )
    cases = (make_case(codename="amber-falcon-27"), make_case(codename="quiet-harbor-8"))
    demo_ledger(treasurer=treasurer, approver=coordinator, cases=cases)

    page = page_for()
    _sign_in(page, "oleg")
    page.click(".main-nav >> text=Ledger")
    assert page.locator("h1").inner_text() == "Ledger"
    main = page.locator("main").inner_text()
    assert "1 disbursement is waiting for a second approver." in main
    assert "Cash box, Almaty" in main
    page.screenshot(path=screenshots / "ledger.png", full_page=True)

    page.click(".tabs >> text=Reports")
    page.select_option("#id_currency", "KZT")
    page.click("form.filters button")
    assert "amber-falcon-27" in page.locator("main").inner_text()
    assert page.locator("img.chart").count() == 2
    page.screenshot(path=screenshots / "ledger-reports.png", full_page=True)

    page.goto("/ledger/")
    page.click(".actions >> text=Donation")
    page.select_option("#id_account", label="Partner association's account (EUR)")
    page.fill("#id_amount", "25.505")
    page.select_option("#id_donor_kind", "pseudonym")
    page.fill("#id_donor_name", "Night owl")
    page.click("button.primary")
    assert "at most 2 decimal places" in page.locator(".has-error").inner_text()
    assert page.input_value("#id_amount") == "25.505"
    assert page.input_value("#id_donor_name") == "Night owl"
    page.fill("#id_amount", "25,50")
    page.click("button.primary")
    assert "Recorded." in page.locator(".messages").inner_text()

    page.goto("/ledger/disbursement/")
    page.select_option("#id_account", label="Partner association's account (EUR)")
    page.fill("#id_amount", "900")
    page.select_option("#id_category", "lawyer")
    page.fill("#id_codename", "amber-falcon-27")
    page.click("button.primary")
    assert "waiting for a second approver" in page.locator(".messages").inner_text()
    assert page.locator("button[value=approve]").count() == 0
    entry = Transaction.objects.get(amount=900)
    assert entry.state == State.PENDING
    page.screenshot(path=screenshots / "ledger-pending.png", full_page=True)

    other = page_for()
    _sign_in_with_code(other, coordinator)
    other.goto(f"/ledger/{entry.pk}/")
    other.click("button[value=approve]")
    assert "Approved" in other.locator(".messages").inner_text()
    entry.refresh_from_db()
    assert entry.state == State.POSTED and entry.decided_by == coordinator

    # The approved payment (recorded today) was a mistake: reversed from its page, with a reason.
    page.goto(f"/ledger/{entry.pk}/")
    page.click("main >> text=Reverse")
    page.click("button.primary")
    assert "Why is it reversed?" in page.locator(".has-error").inner_text()
    page.fill("#id_reason", "paid from the wrong fund")
    page.check("input[name=when][value=today]")
    page.click("button.primary")
    assert "Reversed, on the original's date." in page.locator(".messages").inner_text()
    assert f"This reverses transaction #{entry.pk}" in page.locator("main").inner_text()
    page.goto(f"/ledger/{entry.pk}/")
    assert "Reversed by transaction #" in page.locator("main").inner_text()
    assert page.locator(f"a[href='/ledger/{entry.pk}/reverse/']").count() == 0

    # A second large payment, withdrawn by the treasurer while it waits.
    page.goto("/ledger/disbursement/")
    page.select_option("#id_account", label="Partner association's account (EUR)")
    page.fill("#id_amount", "850")
    page.select_option("#id_category", "lawyer")
    page.click("button.primary")
    page.click("button >> text=Withdraw")
    assert "Withdrawn: it will not be paid" in page.locator(".messages").inner_text()
    assert Transaction.objects.get(amount=850).state == State.WITHDRAWN
