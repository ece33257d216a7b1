"""Behind Tor every visitor arrives from 127.0.0.1 (issue 18, finding 4): one client guessing
codenames or sending requests uses up its own budget, never everyone's."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from waystation.intake import ratelimit, services
from waystation.intake.services import PORTAL

pytestmark = pytest.mark.django_db

ONION = {"REMOTE_ADDR": "127.0.0.1"}


@pytest.fixture(autouse=True)
def _fresh_limits(monkeypatch):
    monkeypatch.setattr(ratelimit, "LIMITER", ratelimit.RateLimiter())


def _try_codename(client, codename):
    page = client.get(reverse("intake:sign_in")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    return client.post(
        reverse("intake:sign_in"), {"codename": codename, "csrfmiddlewaretoken": token}
    )


def test_one_onion_visitor_guessing_codenames_does_not_close_the_portal(settings):
    settings.INTAKE_LOGINS_PER_VISITOR, settings.INTAKE_LOGINS_OVERALL = 20, 1000
    _request, codename = services.request_submit(actor=PORTAL, urgency="stable", text="помогите")
    guesser = Client(enforce_csrf_checks=True, **ONION)
    statuses = [_try_codename(guesser, "wrong words again").status_code for _ in range(21)]
    assert statuses == [400] * 20 + [429]
    # Every later visitor, through the same 127.0.0.1, still gets in.
    requester = Client(enforce_csrf_checks=True, **ONION)
    assert _try_codename(requester, codename)["Location"] == reverse("intake:thread")


def test_the_setting_keys_on_the_browser_whatever_the_address(settings):
    settings.INTAKE_BEHIND_TOR = True
    settings.INTAKE_LOGINS_PER_VISITOR = 2
    _request, codename = services.request_submit(actor=PORTAL, urgency="stable", text="x")
    proxy = {"REMOTE_ADDR": "10.0.0.5"}  # e.g. tor on another machine of the network
    guesser = Client(enforce_csrf_checks=True, **proxy)
    assert [_try_codename(guesser, "no such words").status_code for _ in range(3)] == [
        400,
        400,
        429,
    ]
    other = Client(enforce_csrf_checks=True, **proxy)
    assert _try_codename(other, codename)["Location"] == reverse("intake:thread")


def test_on_the_open_internet_the_address_still_counts(settings):
    settings.INTAKE_LOGINS_PER_VISITOR = 2
    address = {"REMOTE_ADDR": "203.0.113.9"}
    for _ in range(2):
        _try_codename(Client(enforce_csrf_checks=True, **address), "no such words")
    # A new browser from the same address is the same visitor.
    third = _try_codename(Client(enforce_csrf_checks=True, **address), "no such words")
    assert third.status_code == 429


def test_the_overall_budget_still_holds_for_everyone(settings):
    settings.INTAKE_LOGINS_PER_VISITOR, settings.INTAKE_LOGINS_OVERALL = 20, 3
    statuses = [
        _try_codename(Client(enforce_csrf_checks=True, **ONION), "no such words").status_code
        for _ in range(4)
    ]
    assert statuses == [400, 400, 400, 429]
