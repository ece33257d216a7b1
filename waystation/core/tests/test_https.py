"""Behind a TLS proxy the site asks browsers to keep to HTTPS (issue 18, finding 12): HSTS on
every HTTPS answer when WAYSTATION_BEHIND_TLS_PROXY is set, never on plain http (an onion
address or the loopback demo)."""

import runpy

import pytest
from django.test import Client

from waystation import settings as settings_module

pytestmark = pytest.mark.django_db


def _settings_with(monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(settings_module.__file__)


def test_the_proxy_setting_turns_on_hsts_for_a_year(monkeypatch):
    monkeypatch.delenv("WAYSTATION_BEHIND_TLS_PROXY", raising=False)
    monkeypatch.delenv("WAYSTATION_HSTS_SECONDS", raising=False)
    plain = runpy.run_path(settings_module.__file__)
    assert plain["SECURE_HSTS_SECONDS"] == 0 and plain["SECURE_PROXY_SSL_HEADER"] is None
    behind = _settings_with(monkeypatch, WAYSTATION_BEHIND_TLS_PROXY="1")
    assert behind["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert behind["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    shorter = _settings_with(monkeypatch, WAYSTATION_HSTS_SECONDS="600")
    assert shorter["SECURE_HSTS_SECONDS"] == 600


def test_https_answers_carry_hsts_and_http_ones_do_not(settings, cast):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 3600
    over_tls = Client(HTTP_X_FORWARDED_PROTO="https").get("/accounts/login/")
    assert over_tls["Strict-Transport-Security"] == "max-age=31536000"
    plain = Client().get("/accounts/login/")
    assert "Strict-Transport-Security" not in plain
