"""Field encryption: the database holds ciphertext; a value moved to another row, a flipped
byte or a wrong key makes reading fail loudly instead of returning anything."""

import os

import pyotp
import pytest
from django.db import transaction

from waystation.accounts.models import User
from waystation.accounts.tests.factories import UserFactory
from waystation.core.crypto import DecryptionError
from waystation.core.keyring import KEYRING

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_members():
    first = UserFactory(username="first", totp_secret=pyotp.random_base32())
    second = UserFactory(username="second", totp_secret=pyotp.random_base32())
    return first, second


def _raw(user):
    return bytes(User.objects.filter(pk=user.pk).values_list("totp_secret", flat=True).get())


def test_the_database_holds_ciphertext_and_the_model_plaintext(two_members):
    first, _ = two_members
    raw = _raw(first)
    assert first.totp_secret.encode() not in raw
    assert len(raw) == 12 + len(first.totp_secret) + 16  # nonce, ciphertext, tag
    assert User.objects.get(pk=first.pk).totp_secret == first.totp_secret


def test_each_save_uses_a_fresh_nonce(two_members):
    first, _ = two_members
    before = _raw(first)
    first.totp_secret = User.objects.get(pk=first.pk).totp_secret
    first.save()
    assert _raw(first) != before
    assert User.objects.get(pk=first.pk).totp_secret == first.totp_secret


def test_ciphertext_moved_to_another_row_does_not_decrypt(two_members):
    first, second = two_members
    User.objects.filter(pk=second.pk).update(totp_secret=_raw(first))
    with pytest.raises(DecryptionError):
        _ = User.objects.get(pk=second.pk).totp_secret


def test_tampered_ciphertext_does_not_decrypt(two_members):
    first, _ = two_members
    raw = bytearray(_raw(first))
    raw[20] ^= 0x01
    User.objects.filter(pk=first.pk).update(totp_secret=bytes(raw))
    with pytest.raises(DecryptionError):
        _ = User.objects.get(pk=first.pk).totp_secret


def test_a_wrong_key_does_not_decrypt(two_members, restore_keyring, settings):
    first, _ = two_members
    loaded = User.objects.get(pk=first.pk)
    KEYRING.install(os.urandom(32), settings.DATA_DIR)
    with pytest.raises(DecryptionError):
        _ = loaded.totp_secret


def test_unchanged_value_is_saved_back_as_it_was(two_members):
    first, _ = two_members
    loaded = User.objects.get(pk=first.pk)
    before = _raw(first)
    loaded.display_name = "renamed"
    loaded.save()
    assert _raw(first) == before


def test_value_for_a_row_without_id_is_refused_clearly():
    user = User(username="unsaved")
    user.totp_secret = "JBSWY3DPEHPK3PXP"
    with pytest.raises(ValueError, match="row id"), transaction.atomic():
        user.save()
    assert not User.objects.filter(username="unsaved").exists()


def test_empty_value_stays_empty(two_members):
    first, _ = two_members
    first.totp_secret = ""
    first.save()
    assert _raw(first) == b""
    assert User.objects.get(pk=first.pk).totp_secret == ""


def test_a_deferred_encrypted_field_is_loaded_not_taken_as_empty(two_members):
    first, _ = two_members
    partial = User.objects.only("username").get(pk=first.pk)
    assert partial.totp_secret == first.totp_secret and partial.has_totp
