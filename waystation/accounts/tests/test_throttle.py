"""Login throttling (issue 18, finding 2): guessing is slowed per name and browser, per name for
new browsers, per browser and overall, and none of it lets a stranger lock a member out of a
browser where the member has signed in before — the coordinator's panic button included."""

import shutil
import time
from datetime import timedelta

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from waystation.accounts import throttle
from waystation.accounts.models import LoginThrottle
from waystation.accounts.throttle import BROWSER_COOKIE
from waystation.core import keyslots
from waystation.core.keyring import KEYRING
from waystation.testing.plugin import DATA_DIR, TEST_PASSPHRASE

from .factories import PASSWORD

LOGIN = "/accounts/login/"
CODE = "/accounts/login/code/"
THROTTLED = "Too many failed attempts"

pytestmark = pytest.mark.django_db


def _try(client, username, password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def _signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/"


def _member_browser(username):
    """A browser in which the member has signed in before (and signed out again)."""
    browser = Client()
    assert _signed_in(_try(browser, username))
    browser.post(reverse("accounts:logout"))
    return browser


def _strangers_guess(username, times):
    for _ in range(times):
        _try(Client(), username, "a wrong guess here")  # a fresh browser every time


@pytest.fixture
def clock(monkeypatch):
    now = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: now[0])

    def advance(**delta):
        now[0] += timedelta(**delta)

    return advance


def test_the_sign_in_page_gives_the_browser_a_random_cookie_for_the_sign_in_pages_only(cast):
    response = Client().get(LOGIN)
    cookie = response.cookies[BROWSER_COOKIE]
    assert len(cookie.value) >= 40 and cookie["path"] == LOGIN
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    again = Client()
    again.cookies[BROWSER_COOKIE] = cookie.value
    assert BROWSER_COOKIE not in again.get(LOGIN).cookies  # kept, not replaced
    # Only keyed digests are stored: nothing in the table holds the token or a name.
    _try(again, "caseworker", "wrong password!")
    stored = " ".join(f"{r.key_digest}" for r in LoginThrottle.objects.all())
    assert cookie.value not in stored and "caseworker" not in stored


def test_a_stranger_cannot_lock_a_member_out_of_a_known_browser(cast, settings):
    members_browser = _member_browser("caseworker")
    _strangers_guess("caseworker", 30)
    # New browsers are held for this name, the right password included…
    held = _try(Client(), "caseworker").content.decode()
    assert THROTTLED in held
    # …but the member's own browser signs in as usual.
    assert _signed_in(_try(members_browser, "caseworker"))


def test_the_back_off_of_one_browser_does_not_hold_another(cast, clock, settings):
    laptop, phone = _member_browser("lawyer"), _member_browser("lawyer")
    for _ in range(settings.LOGIN_THROTTLE_FAILURES):
        _try(laptop, "lawyer", "mistyped twelve")
    assert THROTTLED in _try(laptop, "lawyer").content.decode()
    assert _signed_in(_try(phone, "lawyer"))


def test_the_back_off_grows_and_passes(cast, clock, settings):
    settings.LOGIN_THROTTLE_FAILURES, settings.LOGIN_BACKOFF_SECONDS = 3, 30
    browser = _member_browser("caseworker")
    for _ in range(3):
        _try(browser, "caseworker", "mistyped twelve")
    assert "Try again in 1 minute." in _try(browser, "caseworker").content.decode()
    clock(seconds=31)
    assert "Try again in 1 minute." in _try(browser, "caseworker", "wrong").content.decode()
    clock(seconds=61)  # the next wait is twice as long
    page = _try(browser, "caseworker", "still wrong").content.decode()
    assert "Try again in 2 minutes." in page
    clock(seconds=119)
    assert THROTTLED in _try(browser, "caseworker").content.decode()
    clock(seconds=2)
    assert _signed_in(_try(browser, "caseworker"))


def test_the_wait_never_grows_past_the_longest_one(cast, clock, settings):
    browser = Client()
    for _ in range(40):
        _try(browser, "caseworker", "wrong password!")
        clock(hours=1)
    _try(browser, "caseworker", "wrong password!")
    assert "Try again in 15 minutes." in _try(browser, "caseworker").content.decode()


def test_a_password_sprayed_over_every_name_is_limited(cast, settings):
    treasurer = _member_browser("treasurer")
    settings.LOGIN_THROTTLE_GLOBAL_PER_HOUR = 12
    for n in range(11):
        page = _try(Client(), f"guess{n}", "Summer2026!x").content.decode()
        assert "Wrong username or password." in page
    assert THROTTLED in _try(Client(), "guess11", "Summer2026!x").content.decode()
    # Now every new browser waits, whatever the name and even with the right password…
    assert THROTTLED in _try(Client(), "screener").content.decode()
    assert THROTTLED in _try(Client(), "guess99", "Summer2026!x").content.decode()
    # …while members in their usual browsers are not held.
    assert _signed_in(_try(treasurer, "treasurer"))


def test_one_browser_spraying_names_is_slowed(cast, settings):
    browser = Client()
    for n in range(settings.LOGIN_THROTTLE_FAILURES):
        _try(browser, f"name{n}", "Summer2026!x")
    assert THROTTLED in _try(browser, "documentation_officer").content.decode()


def test_wrong_codes_count_against_the_name_and_browser(cast, settings):
    settings.LOGIN_THROTTLE_FAILURES = 2
    browser = Client()
    assert _try(browser, "coordinator")["Location"] == CODE
    browser.post(CODE, {"code": "000000"})
    second = browser.post(CODE, {"code": "000000"})
    assert second["Location"] == LOGIN  # held: back to the start, with the wait
    assert THROTTLED in browser.get(LOGIN).content.decode()


@pytest.fixture
def copy_of_instance(tmp_path, settings, restore_keyring):
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o700)
    shutil.copy2(DATA_DIR / keyslots.FILENAME, folder / keyslots.FILENAME)
    settings.DATA_DIR = folder
    assert KEYRING.unseal(folder, TEST_PASSPHRASE)
    return folder


def test_the_panic_button_stays_reachable_while_strangers_guess(cast, copy_of_instance, settings):
    secret = cast["coordinator"].totp_secret
    browser = Client()
    assert _try(browser, "coordinator")["Location"] == CODE
    assert _signed_in(browser.post(CODE, {"code": pyotp.TOTP(secret).now()}))
    browser.post(reverse("accounts:logout"))
    # A raid: the coordinator's name is hammered from many browsers, other names sprayed.
    settings.LOGIN_THROTTLE_GLOBAL_PER_HOUR = 20
    _strangers_guess("coordinator", 15)
    for n in range(10):
        _try(Client(), f"other{n}", "wrong password!")
    assert THROTTLED in _try(Client(), "coordinator").content.decode()
    # The coordinator's own browser still gets through, to the button.
    assert _try(browser, "coordinator")["Location"] == CODE
    later_code = pyotp.TOTP(secret).at(time.time() + 30)
    assert _signed_in(browser.post(CODE, {"code": later_code}))
    done = browser.post(reverse("home:panic"), {"confirm": "destroy"})
    assert "The keys are destroyed" in done.content.decode()
    assert KEYRING.sealed


def test_rows_that_ran_out_are_swept_but_known_browsers_stay(cast, settings, monkeypatch):
    browser = _member_browser("caseworker")
    _try(Client(), "caseworker", "wrong password!")
    day_ago = timezone.now() - timedelta(hours=25)
    LoginThrottle.objects.update(window_started_at=day_ago, locked_until=None)
    known = LoginThrottle.objects.filter(known=True).count()
    assert known == 1 and LoginThrottle.objects.count() > known
    monkeypatch.setattr(throttle, "_last_sweep", 0.0)
    _try(browser, "nobody-at-all", "wrong password!")
    left = LoginThrottle.objects.filter(window_started_at=day_ago)
    assert list(left.values_list("known", flat=True)) == [True]
