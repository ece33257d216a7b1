"""A sealed server shows the unseal page and nothing else; a duress passphrase on that page
and the coordinator's panic button destroy the keys and then say only "wrong passphrase"."""

import re
import shutil
import threading
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from waystation.core import keyslots, unsealing
from waystation.core.keyring import KEYRING
from waystation.testing.plugin import DATA_DIR, TEST_PASSPHRASE

pytestmark = pytest.mark.django_db
DURESS = "words that destroy everything"


@pytest.fixture(autouse=True)
def _no_pause_left(monkeypatch):
    """The unseal page's pause after wrong passphrases: each test starts
    without one, and the tests that are not about it do not pause."""
    monkeypatch.setattr(unsealing, "_page", {"failures": 0, "not_before": 0.0})
    monkeypatch.setattr(unsealing, "_FIRST_PAUSE", 0.0)
    # On PostgreSQL it is shared, in the database: a pause of this test's own (a request
    # answered on another thread commits its row, which the test's rollback leaves).
    monkeypatch.setattr(unsealing, "_PAUSE", f"unseal-page-{uuid.uuid4()}")


@pytest.fixture
def copy_of_instance(tmp_path, settings, restore_keyring):
    """The test instance's key slots in a folder of their own, so shredding them here leaves
    the suite's instance intact. The key ring follows the copy."""
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o700)
    shutil.copy2(DATA_DIR / keyslots.FILENAME, folder / keyslots.FILENAME)
    settings.DATA_DIR = folder
    assert KEYRING.unseal(folder, TEST_PASSPHRASE)
    return folder


def _unseal(client, passphrase):
    client.get(reverse("unseal"))
    return client.post(reverse("unseal"), {"passphrase": passphrase})


def test_sealed_server_offers_only_the_unseal_page(cast, copy_of_instance):
    KEYRING.drop()
    client = Client()
    assert client.get("/")["Location"] == reverse("unseal")
    for path in ("/accounts/login/", "/audit/", "/accounts/team/", "/anything/"):
        response = client.get(path)
        assert response.status_code == 503, path
        page = response.content.decode()
        assert "Temporarily unavailable" in page and "unseal" not in page.lower()
    page = client.get(reverse("unseal")).content.decode()
    assert "Instance passphrase" in page and 'type="password"' in page


def test_unseal_page_in_russian(copy_of_instance):
    KEYRING.drop()
    page = Client().get(reverse("unseal"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<html lang="ru">' in page and "Распечатать" in page


def test_wrong_then_right_passphrase(cast, copy_of_instance):
    KEYRING.drop()
    client = Client()
    wrong = _unseal(client, "not the passphrase")
    assert wrong.status_code == 403 and "Wrong passphrase." in wrong.content.decode()
    assert KEYRING.sealed
    right = _unseal(client, TEST_PASSPHRASE)
    assert right["Location"] == reverse("accounts:login")
    assert not KEYRING.sealed
    assert client.get(reverse("unseal"))["Location"] == reverse("accounts:login")


def test_unseal_form_needs_its_csrf_token(copy_of_instance):
    KEYRING.drop()
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("unseal"), {"passphrase": TEST_PASSPHRASE})
    assert response.status_code == 403 and KEYRING.sealed


def test_duress_passphrase_destroys_the_keys_and_looks_like_a_typo(copy_of_instance):
    slots = keyslots.KeySlotFile.load(copy_of_instance)
    slots.add(KEYRING.master_for_key_management(), DURESS, "duress", duress=True)
    slots.save()
    KEYRING.drop()
    client = Client()
    typo = _unseal(client, "not the passphrase").content.decode()
    duress = _unseal(client, DURESS).content.decode()
    assert "Wrong passphrase." in duress
    strip = lambda page: page.split('name="csrfmiddlewaretoken"')[0]  # noqa: E731
    assert strip(duress) == strip(typo)
    after = _unseal(client, TEST_PASSPHRASE)
    assert after.status_code == 403 and KEYRING.sealed
    assert keyslots.KeySlotFile.load(copy_of_instance).open(TEST_PASSPHRASE).master is None


def test_panic_button_needs_confirmation_and_a_coordinator(client_for, copy_of_instance):
    lawyer = client_for("lawyer")
    assert lawyer.get(reverse("home:panic")).status_code == 403
    assert lawyer.post(reverse("home:panic"), {"confirm": "destroy"}).status_code == 403
    coordinator = client_for("coordinator")
    page = coordinator.get(reverse("accounts:account")).content.decode()
    assert reverse("home:panic") in page
    warning = coordinator.get(reverse("home:panic")).content.decode()
    assert "unreadable for ever" in warning
    unconfirmed = coordinator.post(reverse("home:panic"), {})
    assert (
        unconfirmed.status_code == 400 and "Nothing was destroyed." in unconfirmed.content.decode()
    )
    assert not KEYRING.sealed
    done = coordinator.post(reverse("home:panic"), {"confirm": "destroy"})
    assert KEYRING.sealed
    # The one who pressed it reads that the keys are gone, not that the server just started.
    said = done.content.decode()
    assert done.status_code == 200 and "The keys are destroyed" in said
    assert "just started" not in said and "Sign out" not in said
    assert coordinator.get("/")["Location"] == reverse("unseal")
    assert "Wrong passphrase." in _unseal(coordinator, TEST_PASSPHRASE).content.decode()


def test_after_panic_in_russian_the_page_says_so(client_for, copy_of_instance):
    coordinator = client_for("coordinator")
    coordinator.cookies["ws_language"] = "ru"
    done = coordinator.post(reverse("home:panic"), {"confirm": "destroy"}).content.decode()
    assert "Ключи уничтожены" in done


def test_the_unseal_page_is_the_same_after_a_start_a_panic_and_a_duress(copy_of_instance):
    """Nothing on the unseal page tells someone who forced a duress passphrase what it did."""

    def strip(page):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)

    KEYRING.drop()
    after_start = strip(Client().get(reverse("unseal")).content.decode())
    assert "holds no keys" in after_start and "just started" not in after_start
    slots = keyslots.KeySlotFile.load(copy_of_instance)
    assert KEYRING.unseal(copy_of_instance, TEST_PASSPHRASE)
    slots.add(KEYRING.master_for_key_management(), DURESS, "duress", duress=True)
    slots.save()
    KEYRING.drop()
    _unseal(Client(), DURESS)
    assert strip(Client().get(reverse("unseal")).content.decode()) == after_start


def test_sealed_pages_carry_the_security_headers(copy_of_instance):
    KEYRING.drop()
    for path in (reverse("unseal"), "/accounts/login/"):
        response = Client().get(path)
        assert "default-src 'self'" in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"


def test_language_switch_works_while_sealed(copy_of_instance):
    KEYRING.drop()
    client = Client()
    client.get(reverse("unseal"))
    response = client.post(reverse("set_language"), {"language": "ru", "next": "/unseal/"})
    assert response.status_code == 302 and response["Location"] == "/unseal/"
    assert "Распечатать" in client.get(reverse("unseal")).content.decode()


def test_unseal_problems_are_not_detailed_to_visitors(copy_of_instance, settings):
    KEYRING.drop()
    (copy_of_instance / keyslots.FILENAME).write_text("{damaged")
    page = _unseal(Client(), TEST_PASSPHRASE).content.decode()
    assert "operator must look at its log" in page and str(copy_of_instance) not in page


def test_the_unseal_page_checks_one_passphrase_at_a_time(copy_of_instance, monkeypatch):
    KEYRING.drop()
    checking, release, calls = threading.Event(), threading.Event(), []
    unseal = KEYRING.unseal

    def slow_unseal(data_dir, passphrase):
        calls.append(passphrase)
        checking.set()
        release.wait(10)
        return unseal(data_dir, passphrase)

    monkeypatch.setattr(KEYRING, "unseal", slow_unseal)
    first = threading.Thread(target=_unseal, args=(Client(), "a first guess here"))
    first.start()
    assert checking.wait(10)
    second = _unseal(Client(), "a second guess here")
    release.set()
    first.join(10)
    assert second.status_code == 429
    assert "Another passphrase is being checked right now." in second.content.decode()
    assert calls == ["a first guess here"]  # the second was not checked, and not queued


def test_the_pause_after_wrong_passphrases_grows_until_the_right_one(
    copy_of_instance, monkeypatch
):
    monkeypatch.setattr(unsealing, "_FIRST_PAUSE", 2.0)
    now = [1000.0]
    monkeypatch.setattr(unsealing, "_clock", lambda: now[0])
    KEYRING.drop()
    client = Client()
    assert _unseal(client, "wrong one").status_code == 403
    paused = _unseal(client, TEST_PASSPHRASE)
    assert paused.status_code == 429 and KEYRING.sealed  # not even checked
    assert "Wait 2 seconds, then try again." in paused.content.decode()
    now[0] += 2.1
    assert _unseal(client, "wrong two").status_code == 403
    assert "Wait 4 seconds" in _unseal(client, TEST_PASSPHRASE).content.decode()
    now[0] += 3
    assert "Wait 1 second, then try again." in _unseal(client, TEST_PASSPHRASE).content.decode()
    now[0] += 1.1
    assert _unseal(client, TEST_PASSPHRASE)["Location"] == reverse("accounts:login")
    assert not KEYRING.sealed
    # A right passphrase ends the pauses: the next mistake waits 2 seconds again.
    KEYRING.drop()
    _unseal(client, "wrong three")
    assert "Wait 2 seconds" in _unseal(client, TEST_PASSPHRASE).content.decode()
