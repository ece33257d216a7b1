"""The random strings of CSRF masks: uniform over their characters, from the system's
generator, and what Django's CSRF protection now draws from."""

from collections import Counter

import pytest
from django.middleware import csrf

from waystation.core import crypto

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def test_django_csrf_draws_from_it():
    assert csrf.get_random_string is crypto.random_string
    token = csrf._get_new_csrf_string()
    assert len(token) == csrf.CSRF_SECRET_LENGTH and set(token) <= set(csrf.CSRF_ALLOWED_CHARS)


def test_bytes_that_would_favour_some_characters_are_thrown_away(monkeypatch):
    # 256 = 4 × 62 + 8: the bytes 248 – 255 would give the first eight characters a fifth
    # more often than the others.
    reads = iter([bytes([248, 255, 0, 61]), bytes([62, 250, 1, 5])])
    monkeypatch.setattr(crypto.os, "urandom", lambda n: next(reads))
    assert crypto.random_string(4, ALPHABET) == "a9ab"


def test_every_character_comes_about_as_often():
    drawn = Counter(crypto.random_string(62_000, ALPHABET))
    assert set(drawn) == set(ALPHABET)
    # 1,000 expected each; chi-square with 61 degrees of freedom, far beyond p = 0.0001.
    chi_square = sum((count - 1000) ** 2 / 1000 for count in drawn.values())
    assert chi_square < 120


@pytest.mark.parametrize("alphabet", ["", "x" * 257])
def test_an_alphabet_it_cannot_draw_from_uniformly_is_refused(alphabet):
    with pytest.raises(ValueError):
        crypto.random_string(8, alphabet)
