"""A coordinator's first day, in a real browser with JavaScript off: sign in, enrol the second
factor, reach the overview, switch to Russian and work in Russian."""

import re

import pyotp
import pytest

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import PASSWORD, UserFactory
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")


def _sign_in_with_code(page, user):
    _sign_in(page, user.username)
    page.fill("#id_code", pyotp.TOTP(user.totp_secret).now())
    page.click("button.primary")


def test_coordinator_signs_in_enrols_totp_and_works_in_russian(page_for, screenshots):
    coordinator = UserFactory(username="anna", display_name="Анна", roles=[Role.COORDINATOR])
    UserFactory(username="ilya", display_name="Илья Т.", roles=[Role.CASEWORKER])
    page = page_for()

    page.goto("/accounts/login/")
    assert page.locator("h1").inner_text() == "Sign in"
    page.screenshot(path=screenshots / "sign-in.png")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "wrong password")
    page.click("button.primary")
    assert "Wrong username or password." in page.locator(".form-errors").inner_text()
    assert page.input_value("#id_username") == "anna"

    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    # A coordinator must enrol a second factor before anything else.
    assert page.url.endswith("/accounts/account/second-factor/")
    assert page.locator(".qr svg").count() == 1
    page.screenshot(path=screenshots / "second-factor.png", full_page=True)
    page.fill("#id_code", "000000")
    page.click("button.primary")
    assert "That code does not match." in page.locator(".error").inner_text()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.fill("#id_code", pyotp.TOTP(secret).now())
    page.click("button.primary")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    page.screenshot(path=screenshots / "recovery-codes.png")
    page.click("text=I have written them down")

    assert page.locator("h1").inner_text() == "Overview"
    assert page.locator(".main-nav").inner_text().split() == [
        "Overview",
        "Requests",
        "Cases",
        "My",
        "tasks",
        "Pathways",
        "Evidence",
        "Screening",
        "Outreach",
        "Ledger",
        "Partners",
        "Safety",
        "Team",
        "Audit",
        "log",
        "My",
        "account",
    ]
    page.screenshot(path=screenshots / "dashboard.png", full_page=True)

    page.click("button[name=language][value=ru]")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("h1").inner_text() == "Обзор"
    assert "Выйти" in page.locator("header").inner_text()
    page.screenshot(path=screenshots / "dashboard-ru.png", full_page=True)

    page.click(".main-nav >> text=Команда")
    assert page.locator("h1").inner_text() == "Команда"
    assert "Илья Т." in page.locator("table").inner_text()
    page.screenshot(path=screenshots / "team-ru.png", full_page=True)

    page.click(".main-nav >> text=Журнал аудита")
    rows = page.locator("tbody tr").all_inner_texts()
    assert any("Второй фактор" in row for row in rows), rows
    page.screenshot(path=screenshots / "audit-ru.png", full_page=True)

    page.click("header button.quiet")
    assert page.locator("h1").inner_text() == "Вход"
    assert AuditEvent.objects.filter(event=Event.TOTP_ENROLLED, actor=coordinator).exists()

    # Next time the code is asked for after the password.
    _sign_in(page, "anna")
    assert page.url.endswith("/accounts/login/code/")
    coordinator.refresh_from_db()
    page.fill("#id_code", codes[0])
    page.click("button.primary")
    assert page.locator("h1").inner_text() == "Обзор"


def test_invited_member_joins_on_a_phone(page_for, screenshots):
    coordinator = UserFactory(
        username="anna", roles=[Role.COORDINATOR], totp_secret=pyotp.random_base32()
    )
    desk = page_for()
    _sign_in_with_code(desk, coordinator)
    desk.goto("/accounts/account/")
    assert "Destroy the keys" in desk.locator(".danger-zone").inner_text()
    desk.screenshot(path=screenshots / "account.png", full_page=True)
    desk.click("text=Destroy the keys…")
    desk.click("button.danger")  # without ticking the box: nothing happens
    assert "Nothing was destroyed." in desk.locator(".form-errors").inner_text()
    desk.screenshot(path=screenshots / "panic.png", full_page=True)
    desk.goto("/accounts/team/invite/")
    desk.fill("#id_username", "vera")
    desk.fill("#id_display_name", "Вера Петровна")
    desk.check("input[name=roles][value=lawyer]")
    desk.screenshot(path=screenshots / "invite.png", full_page=True)
    desk.click("button.primary")
    link = desk.locator("#invite-link").inner_text()

    phone = page_for(width=390, height=780)
    phone.goto(link)
    assert "@vera" in phone.locator("main").inner_text()
    phone.fill("#id_password1", "short")
    phone.fill("#id_password2", "short")
    phone.click("button.primary")
    assert "too short" in phone.locator(".error").first.inner_text()
    phone.fill("#id_password1", "quiet river lantern stone")
    phone.fill("#id_password2", "quiet river lantern stone")
    phone.click("button.primary")
    assert phone.locator("h1").inner_text() == "Overview"
    assert "No client is assigned to you yet." in phone.locator("main").inner_text()
    phone.screenshot(path=screenshots / "dashboard-phone.png", full_page=True)


def test_sealed_server_is_unsealed_from_the_page(
    page_for, screenshots, restore_keyring, monkeypatch
):
    from django.db import connection

    from waystation.core import limits, unsealing
    from waystation.core.keyring import KEYRING
    from waystation.testing.plugin import TEST_PASSPHRASE

    # A pause long enough that no slow machine outlasts it between two clicks.
    monkeypatch.setattr(unsealing, "_page", {"failures": 0, "not_before": 0.0})
    monkeypatch.setattr(unsealing, "_FIRST_PAUSE", 30.0)

    KEYRING.drop()
    page = page_for()
    page.goto("/")
    assert page.url.endswith("/unseal/")
    page.screenshot(path=screenshots / "unseal.png")
    page.fill("#id_passphrase", "a wrong passphrase")
    page.click("button.primary")
    assert page.locator(".form-errors").inner_text() == "Wrong passphrase."
    # Straight after a wrong one, even the right passphrase waits out the pause, and says so.
    page.fill("#id_passphrase", TEST_PASSPHRASE)
    page.click("button.primary")
    assert "Wait 30 seconds, then try again." in page.locator(".form-errors").inner_text()
    assert KEYRING.sealed
    # The pause has passed (the server runs in this process; on PostgreSQL the pause is the
    # servers' shared one, in the limit table).
    unsealing._page["not_before"] = 0.0
    if connection.vendor == "postgresql":
        limits.pause_end(unsealing._PAUSE)
    page.fill("#id_passphrase", TEST_PASSPHRASE)
    page.click("button.primary")
    assert page.url.endswith("/accounts/login/")
    assert not KEYRING.sealed


def test_coordinator_imports_the_xlsx_sample_and_sees_the_charts(page_for, screenshots):
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "waystation" / "outreach" / "tests" / "samples"
    coordinator = UserFactory(
        username="anna", roles=[Role.COORDINATOR], totp_secret=pyotp.random_base32()
    )
    page = page_for()
    _sign_in_with_code(page, coordinator)
    page.click(".main-nav >> text=Outreach")
    assert "No organisations here yet" in page.locator("main").inner_text()
    page.click("text=Import a spreadsheet")
    page.set_input_files("#id_file", str(samples / "outreach-log.xlsx"))
    page.click("button.primary")
    assert page.url.endswith("/outreach/import/preview/")
    figures = page.locator("dl.figures").inner_text()
    assert "29" in figures
    page.screenshot(path=screenshots / "outreach-import.png", full_page=True)
    page.click("button:text-is('Import')")
    assert "Imported 29 approaches" in page.locator(".messages").inner_text()
    page.screenshot(path=screenshots / "outreach-directory.png", full_page=True)
    page.click("text=Statistics")
    assert page.locator("h1").inner_text() == "Outreach statistics"
    charts = page.locator("img.chart")
    assert charts.count() == 5
    # The SVG images really load (same origin, allowed by the policy) and have a size.
    assert all(c.evaluate("img => img.naturalWidth") > 0 for c in charts.all())
    page.screenshot(path=screenshots / "outreach-statistics.png", full_page=True)
