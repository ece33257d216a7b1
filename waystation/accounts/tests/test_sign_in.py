"""Signing in: password, throttling, the TOTP step, recovery codes, forced enrolment."""

import re

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from waystation.accounts.second_factor import totp_enrol
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent

from .factories import PASSWORD

LOGIN = "/accounts/login/"
CODE = "/accounts/login/code/"

pytestmark = pytest.mark.django_db


def _sign_in(client, username, password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def test_wrong_password_says_so_and_keeps_the_username(client, cast):
    response = _sign_in(client, "caseworker", "not the password")
    page = response.content.decode()
    assert response.status_code == 401  # refused, not a success
    assert "Wrong username or password." in page
    assert 'value="caseworker"' in page
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.get(event=Event.LOGIN_FAILED)
    assert failed.actor is None and failed.object_id == str(cast["caseworker"].pk)


def test_unknown_username_is_refused_the_same_way_and_not_recorded(client, cast):
    page = _sign_in(client, "nobody-here", "whatever12345").content.decode()
    assert "Wrong username or password." in page
    failed = AuditEvent.objects.get(event=Event.LOGIN_FAILED)
    assert failed.actor is None
    assert "nobody-here" not in str(failed.canonical_fields())


def test_member_without_second_factor_signs_in_with_password(client, cast):
    response = _sign_in(client, "caseworker")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(event=Event.LOGIN_SUCCEEDED, actor=cast["caseworker"]).exists()


def test_username_is_case_insensitive(client, cast):
    assert _sign_in(client, "CaseWorker")["Location"] == "/"


def test_next_parameter_is_followed_only_within_the_site(client, cast):
    ok = client.post(
        LOGIN + "?next=/accounts/account/",
        {"username": "caseworker", "password": PASSWORD, "next": "/accounts/account/"},
    )
    assert ok["Location"] == "/accounts/account/"
    client.logout()
    evil = client.post(
        LOGIN, {"username": "caseworker", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert evil["Location"] == "/"


def test_deactivated_user_cannot_sign_in(client, cast):
    page = _sign_in(client, "deactivated").content.decode()
    assert "Wrong username or password." in page


def test_throttle_holds_the_browser_after_repeated_failures(client, cast, settings):
    settings.LOGIN_THROTTLE_FAILURES = 3
    for _ in range(2):
        assert (
            "Wrong username or password." in _sign_in(client, "caseworker", "bad").content.decode()
        )
    third = _sign_in(client, "caseworker", "bad").content.decode()
    assert "Too many failed attempts. Try again in 1 minute." in third
    # Even the right password is refused in this browser while it waits.
    locked = _sign_in(client, "caseworker").content.decode()
    assert "Too many failed attempts" in locked
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(event=Event.LOGIN_THROTTLED).exists()
    # Another member in another browser is not affected (more in test_throttle.py).
    assert _sign_in(Client(), "lawyer")["Location"] == "/"


def test_throttle_window_passes(client, cast, settings, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    settings.LOGIN_THROTTLE_FAILURES = 2
    _sign_in(client, "caseworker", "bad")
    _sign_in(client, "caseworker", "bad")
    later = timezone.now() + timedelta(minutes=16)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert _sign_in(client, "caseworker")["Location"] == "/"


def test_second_factor_step_for_enrolled_member(client, cast):
    coordinator = cast["coordinator"]
    response = _sign_in(client, "coordinator")
    assert response["Location"] == CODE
    # Not signed in yet: the dashboard still needs the code.
    assert client.get("/")["Location"].startswith(LOGIN)
    response = client.get(CODE)
    bad = client.post(CODE, {"code": "000000"}).content.decode()
    assert "That code is not right." in bad
    code = pyotp.TOTP(coordinator.totp_secret).now()
    assert client.post(CODE, {"code": code})["Location"] == "/"
    assert client.get("/").status_code == 200
    row = AuditEvent.objects.filter(event=Event.LOGIN_SUCCEEDED).latest("seq")
    assert row.data == {"second_factor": True}


def test_a_totp_code_works_only_once(client, cast):
    coordinator = cast["coordinator"]
    code = pyotp.TOTP(coordinator.totp_secret).now()
    _sign_in(client, "coordinator")
    assert client.post(CODE, {"code": code})["Location"] == "/"
    client.logout()
    _sign_in(client, "coordinator")
    replay = client.post(CODE, {"code": code})
    assert replay.status_code == 401
    assert "That code is not right." in replay.content.decode()


def test_code_page_without_password_step_sends_back_to_sign_in(client, cast):
    assert client.get(CODE)["Location"] == LOGIN


def _enrol_through_pages(client):
    page = client.get(reverse("accounts:totp_enrol")).content.decode()
    assert "<svg" in page  # QR code rendered on the server
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    done = client.post(reverse("accounts:totp_enrol"), {"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.content.decode())
    return secret, codes


def test_coordinator_without_totp_must_enrol_before_anything_else(client, cast):
    coordinator = cast["coordinator"]
    coordinator.totp_secret = ""
    coordinator.save()
    assert _sign_in(client, "coordinator")["Location"] == "/"
    assert client.get("/")["Location"] == reverse("accounts:totp_enrol")
    assert client.get(reverse("accounts:users"))["Location"] == reverse("accounts:totp_enrol")
    wrong = client.post(reverse("accounts:totp_enrol"), {"code": "123456"}).content.decode()
    assert "That code does not match." in wrong
    secret, codes = _enrol_through_pages(client)
    assert len(codes) == 10
    assert client.get("/").status_code == 200
    coordinator.refresh_from_db()
    assert coordinator.totp_secret == secret
    assert AuditEvent.objects.filter(event=Event.TOTP_ENROLLED, actor=coordinator).exists()


def test_recovery_code_signs_in_once(client, cast):
    caseworker = cast["caseworker"]
    secret = pyotp.random_base32()
    codes = totp_enrol(actor=caseworker, secret=secret, code=pyotp.TOTP(secret).now())
    assert codes and len(set(codes)) == 10
    _sign_in(client, "caseworker")
    assert client.post(CODE, {"code": codes[0].upper()})["Location"] == "/"
    assert AuditEvent.objects.get(event=Event.RECOVERY_CODE_USED).data == {"codes_left": 9}
    client.logout()
    _sign_in(client, "caseworker")
    assert "That code is not right." in client.post(CODE, {"code": codes[0]}).content.decode()


def test_enrolment_with_wrong_code_saves_nothing(cast):
    caseworker = cast["caseworker"]
    assert totp_enrol(actor=caseworker, secret=pyotp.random_base32(), code="12") is None
    caseworker.refresh_from_db()
    assert caseworker.totp_secret == ""


def test_sign_out_is_audited_and_needs_post(client_for, cast):
    client = client_for("caseworker")
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout"))["Location"] == LOGIN
    assert client.get("/")["Location"].startswith(LOGIN)
    assert AuditEvent.objects.filter(event=Event.LOGOUT, actor=cast["caseworker"]).exists()


def test_idle_session_expires(client_for, settings, monkeypatch):
    import time as time_module

    client = client_for("caseworker")
    assert client.get("/").status_code == 200
    start = time_module.time()
    monkeypatch.setattr(time_module, "time", lambda: start + settings.SESSION_IDLE_SECONDS + 5)
    response = client.get("/")
    assert response.status_code == 302
    assert "inactivity" in client.get(LOGIN).content.decode()


def test_password_change_checks_the_old_one_and_keeps_you_signed_in(client_for, cast):
    client = client_for("caseworker")
    url = reverse("accounts:account")
    wrong = client.post(
        url,
        {
            "old_password": "nope",
            "password1": "a new long passphrase",
            "password2": "a new long passphrase",
        },
    ).content.decode()
    assert "Your current password is not correct." in wrong
    short = client.post(
        url, {"old_password": PASSWORD, "password1": "short", "password2": "short"}
    ).content.decode()
    assert "too short" in short
    ok = client.post(
        url,
        {
            "old_password": PASSWORD,
            "password1": "a new long passphrase",
            "password2": "a new long passphrase",
        },
    )
    assert ok["Location"] == url
    assert client.get("/").status_code == 200
    cast["caseworker"].refresh_from_db()
    assert cast["caseworker"].check_password("a new long passphrase")


def test_new_recovery_codes_replace_the_old_ones(client_for, cast, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    coordinator = cast["coordinator"]
    old = totp_enrol(
        actor=coordinator,
        secret=coordinator.totp_secret,
        code=pyotp.TOTP(coordinator.totp_secret).now(),
    )
    client = client_for("coordinator")
    url = reverse("accounts:recovery_codes_renew")
    wrong = client.post(url, {"code": "000000"}, follow=True).content.decode()
    assert "No new recovery codes were made." in wrong
    # The enrolment code was used already; the next time step gives a fresh one.
    later = timezone.now() + timedelta(seconds=30)
    monkeypatch.setattr(timezone, "now", lambda: later)
    code = pyotp.TOTP(coordinator.totp_secret).at(later)
    page = client.post(url, {"code": code}).content.decode()
    new = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", page)
    assert len(new) == 10 and not set(new) & set(old)
    assert "Your old recovery codes no longer work." in page
    assert AuditEvent.objects.filter(event=Event.RECOVERY_CODES_RENEWED).count() == 1
    client.logout()
    _sign_in(client, "coordinator")
    assert "That code is not right." in client.post(CODE, {"code": old[0]}).content.decode()
    assert client.post(CODE, {"code": new[0]})["Location"] == "/"


def test_a_page_gets_the_signed_in_member_himself_and_a_visitor_costs_no_query(client_for, cast):
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The member, read once by the middleware: not a lazy proxy that every read of
    # request.user (a few hundred a page) would go through.
    signed_in = client_for("caseworker").get("/")
    assert type(signed_in.wsgi_request.user) is type(cast["caseworker"])
    assert signed_in.wsgi_request.user == cast["caseworker"]
    # Read at once, the anonymous visitor still needs no session or member row.
    with CaptureQueriesContext(connection) as queries:
        visitor = Client().get(LOGIN)
    assert visitor.status_code == 200
    assert type(visitor.wsgi_request.user) is AnonymousUser
    assert not [q for q in queries if "accounts_user" in q["sql"] or "session" in q["sql"]]
