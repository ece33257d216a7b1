"""/healthz (issue 27): one word, sealed | unsealed | panicked, and nothing else; answered while
sealed, with no cookie, no audit row, no log line; not on the intake-only portal."""

import logging
import shutil

import pytest
from django.test import Client

from waystation.audit.models import AuditEvent
from waystation.core import keyslots, panic
from waystation.core.keyring import KEYRING
from waystation.core.logs import REFUSALS, NoRequestDetails
from waystation.testing.plugin import DATA_DIR, TEST_PASSPHRASE

pytestmark = pytest.mark.django_db


def _health(client=None, **headers):
    response = (client or Client()).get("/healthz", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert not response.cookies, "no session, CSRF or language cookie"
    return response.content.decode()


@pytest.fixture
def copy_of_instance(tmp_path, settings, restore_keyring, monkeypatch):
    """The suite's key slots copied into a folder of their own, so that a real panic here
    leaves the suite's instance intact; this process's panic state starts clean and is put
    back afterwards (another test may have pressed the panic button before)."""
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o700)
    shutil.copy2(DATA_DIR / keyslots.FILENAME, folder / keyslots.FILENAME)
    settings.DATA_DIR = folder
    monkeypatch.setattr(
        panic, "_state", {**panic._state, "panicked_here": False, "panicked_shared": False}
    )
    assert KEYRING.unseal(folder, TEST_PASSPHRASE)
    return folder


def test_healthz_says_unsealed_sealed_or_panicked_and_nothing_else(copy_of_instance, caplog):
    audited = AuditEvent.objects.count()
    with caplog.at_level(logging.DEBUG):
        assert _health() == "unsealed"
        KEYRING.drop()
        assert _health() == "sealed"
        assert _health(accept_language="ru") == "sealed"  # one word, in no language
        assert KEYRING.unseal(copy_of_instance, TEST_PASSPHRASE)
        assert _health() == "unsealed"
        assert AuditEvent.objects.count() == audited
        panic.destroy_keys(copy_of_instance)  # what `waystation panic` and the button do
        assert _health() == "panicked"
    assert not [r for r in caplog.records if r.name.startswith(("django", "waystation"))]


def test_healthz_takes_no_posts_and_needs_no_sign_in(restore_keyring):
    assert Client().post("/healthz").status_code == 405
    assert Client().head("/healthz").status_code == 200


@pytest.mark.urls("waystation.urls_intake")
def test_the_intake_only_portal_does_not_answer_healthz(settings, restore_keyring):
    """A visitor of the onion portal must not learn what the server runs."""
    settings.INTAKE_ONLY = True
    unsealed = Client(raise_request_exception=False).get("/healthz")
    assert unsealed.status_code == 404
    assert b"unsealed" not in unsealed.content
    KEYRING.drop()
    sealed = Client().get("/healthz")
    assert sealed.status_code == 503 and b"sealed" not in sealed.content
    # After a panic the portal says "unavailable" in its own frame, naming nothing.
    assert b"Temporarily unavailable" in sealed.content and b"Waystation" not in sealed.content


def test_a_sealed_servers_answers_are_counted_not_logged(restore_keyring, caplog):
    """django.request logs every 503 at ERROR with its path: while sealed that would list every
    address asked for until someone unseals. The log handler's filter counts them instead."""
    KEYRING.drop()
    before = REFUSALS.counts().get(503, 0)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert Client().get("/cases/1/secret-path/").status_code == 503
    # Counted by the filter on the one log handler (settings.LOGGING) …
    assert REFUSALS.counts().get(503, 0) == before + 1
    # … which lets nothing of it through.
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.status_code == 503
    assert NoRequestDetails().filter(record) is False
