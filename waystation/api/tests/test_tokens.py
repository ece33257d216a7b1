"""Tokens: shown once, stored as a keyed digest, scoped, expiring, revocable, rate-limited,
audited; the API answers only tokens (no session), JSON 503 while sealed; the portal never
accepts them."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from waystation.api.models import Token
from waystation.api.services import TokenError, token_create, token_revoke
from waystation.audit.models import AuditEvent
from waystation.core.keyring import KEYRING

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def _call(raw, path=ME, **extra):
    return Client(raise_request_exception=False).get(
        path, HTTP_AUTHORIZATION=f"Bearer {raw}", **extra
    )


def test_the_page_shows_a_new_token_once_and_keeps_only_its_digest(client_for, cast):
    client = client_for("caseworker")
    page = client.get(reverse("api_tokens:list")).content.decode()
    assert "cases.view" in page and "users.manage" not in page  # only her own permissions
    answer = client.post(
        reverse("api_tokens:list"), {"name": "laptop script", "scopes": ["cases.view"], "days": 7}
    )
    shown = answer.content.decode()
    assert "shown only this once" in shown
    raw = shown.split('readonly value="', 1)[1].split('"', 1)[0]
    assert raw.startswith("wst_")
    token = Token.objects.get()
    assert token.user == cast["caseworker"] and token.scopes == ["cases.view"]
    assert raw not in str(Token.objects.values().get()) and token.digest != raw
    listed = client.get(reverse("api_tokens:list")).content.decode()
    assert "laptop script" in listed and raw not in listed and f"wst_{raw[4:10]}" in listed
    me = _call(raw).json()
    assert me["username"] == "caseworker" and me["scopes"] == ["cases.view", "signed_in"]
    assert "API tokens" in client.get(reverse("accounts:account")).content.decode()


def test_scopes_only_from_the_members_own_permissions(cast):
    with pytest.raises(TokenError):
        token_create(actor=cast["treasurer"], user=cast["treasurer"], name="x",
                     scopes=["cases.view"], days=5)
    with pytest.raises(TokenError):
        token_create(actor=cast["treasurer"], user=cast["treasurer"], name="x",
                     scopes=["ledger.view"], days=400)
    from django.http import Http404

    with pytest.raises(Http404):  # a member makes tokens for himself only
        token_create(actor=cast["treasurer"], user=cast["caseworker"], name="x",
                     scopes=["signed_in"], days=5)
    token, _raw = token_create(actor=cast["coordinator"], user=cast["caseworker"], name="x",
                               scopes=["cases.view"], days=5)
    assert token.created_by == cast["coordinator"]


def test_expired_revoked_and_deactivated_tokens_answer_401(cast):
    token, raw = token_create(actor=cast["lawyer"], user=cast["lawyer"], name="t",
                              scopes=["signed_in"], days=1)
    assert _call(raw).status_code == 200
    assert _call(raw[:-1] + ("A" if raw[-1] != "A" else "B")).status_code == 401
    Token.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _call(raw).status_code == 401
    Token.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(days=1))
    token_revoke(actor=cast["lawyer"], token=token)
    gone = _call(raw)
    assert gone.status_code == 401 and gone.json() == {"detail": "Unauthorized"}
    _t, raw2 = token_create(actor=cast["coordinator"], user=cast["caseworker"], name="t",
                            scopes=["signed_in"], days=1)
    cast["caseworker"].is_active = False
    cast["caseworker"].save()
    assert _call(raw2).status_code == 401


def test_no_session_on_the_api(client_for):
    answer = client_for("coordinator").get(ME)
    assert answer.status_code == 401 and answer["Content-Type"] == "application/json; charset=utf-8"


def test_a_scope_outside_the_token_is_403(cast):
    _t, raw = token_create(actor=cast["coordinator"], user=cast["coordinator"], name="t",
                           scopes=["signed_in"], days=1)
    refused = _call(raw, "/api/v1/cases/")
    assert refused.status_code == 403 and "cases.view" in refused.json()["detail"]


def test_rate_limit_per_token_and_one_audit_row_a_minute(cast, settings):
    settings.API_CALLS_PER_MINUTE = 3
    token, raw = token_create(actor=cast["screener"], user=cast["screener"], name="t",
                              scopes=["signed_in"], days=1)
    _o, other = token_create(actor=cast["screener"], user=cast["screener"], name="u",
                             scopes=["signed_in"], days=1)
    answers = [_call(raw).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    limited = _call(raw)
    assert int(limited["Retry-After"]) >= 1 and "wait" in limited.json()["detail"]
    assert _call(other).status_code == 200  # per token
    used = AuditEvent.objects.filter(event="api.token_used").order_by("seq")
    assert [e.object_id for e in used] == [str(token.pk), str(_o.pk)]
    assert all(e.actor_id == cast["screener"].pk for e in used)
    Token.objects.filter(pk=token.pk).update(
        window_started_at=timezone.now() - timedelta(seconds=61)
    )
    assert _call(raw).status_code == 200
    assert AuditEvent.objects.filter(event="api.token_used").count() == 3
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_sealed_instance_answers_json_503(cast, tokens):
    master, data_dir = KEYRING.master_for_key_management(), KEYRING._data_dir
    KEYRING.drop()
    try:
        for path in (ME, "/api/v1/cases/", "/api/v1/openapi.json"):
            answer = _call(tokens["coordinator"], path)
            assert answer.status_code == 503, path
            assert answer.json() == {"detail": "Temporarily unavailable."}
    finally:
        KEYRING.install(master, data_dir)


@pytest.mark.urls("waystation.urls_intake")
def test_the_portal_never_accepts_tokens(tokens, settings):
    settings.INTAKE_ONLY = True
    bearer = f"Bearer {tokens['coordinator']}"
    portal = Client(raise_request_exception=False, HTTP_AUTHORIZATION=bearer)
    assert portal.get(ME).status_code == 404
    assert portal.get("/api/v1/openapi.json").status_code == 404
    start = portal.get("/")
    assert start.status_code == 200 and "coordinator" not in start.content.decode()
    assert not AuditEvent.objects.filter(event="api.token_used").exists()


def test_command_line_creates_lists_and_revokes(cast, capsys):
    call_command("token", "create", "--user", "lawyer", "--name", "cli", "--scope", "cases.view",
                 "--expires", "3")
    printed = capsys.readouterr().out
    raw = next(w for w in printed.split() if w.startswith("wst_"))
    assert _call(raw).json()["scopes"] == ["cases.view", "signed_in"]
    call_command("token", "list", "--user", "lawyer")
    listing = capsys.readouterr().out
    assert "cli" in listing and raw not in listing
    (token,) = [t for t in Token.objects.all() if t.name == "cli"]  # names: sealed on PostgreSQL
    call_command("token", "revoke", str(token.pk))
    assert _call(raw).status_code == 401
    assert AuditEvent.objects.filter(event="api.token_revoked").get().data.get("system") == "token"


def test_the_reference_page_and_description_need_a_member(client_for, tokens):
    assert Client().get("/api/v1/").status_code == 302
    assert Client().get("/api/v1/openapi.json").status_code == 401
    page = client_for("treasurer").get("/api/v1/")
    text = page.content.decode()
    assert page.status_code == 200 and "<script" not in text and "/api/v1/me/" in text
    schema = _call(tokens["treasurer"], "/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    assert schema["paths"]["/api/v1/me/"]["get"]["x-waystation-scope"] == "signed_in"


def test_every_operation_names_its_scope():
    from waystation.api.v1 import api

    scopes = api.operation_scopes()
    assert scopes and all(scopes.values()), [k for k, v in scopes.items() if not v]
