import math
import re
import time

import pytest

from waystation.intake import codenames, selectors, services
from waystation.intake.data import make_wordlists
from waystation.intake.models import IntakeRequest, Message
from waystation.intake.ratelimit import Limit, RateLimiter
from waystation.intake.services import PORTAL


def test_codenames_are_seven_words_from_the_shipped_list():
    words = codenames.wordlist()
    assert len(words) == 7776
    drawn = [codenames.generate() for _ in range(200)]
    assert len(set(drawn)) == 200
    assert all(len(c.split()) == 7 and set(c.split()) <= set(words) for c in drawn)


ALPHABETS = {
    "ru": re.compile(r"^[абвгдежзийклмнопрстуфхцчшщъыьэюя]{3,9}$"),
    "uk": re.compile(r"^[абвгґдеєжзиіїйклмнопрстуфхцчшщьюя]{3,9}$"),
}


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_the_russian_and_ukrainian_lists_match_how_they_were_made(language):
    words = codenames.wordlist(language)
    assert len(words) == len(set(words)) == 7776  # as many bits per word as the EFF list
    assert all(ALPHABETS[language].match(word) for word in words)  # ё folded, no Latin
    entries = make_wordlists.blocked_entries()
    assert [word for word in words if make_wordlists.blocked(word, entries)] == []
    assert not {"блядь", "сука", "война", "дезертир", "тюрьма", "паспорт"} & set(words)
    # Common words, not rare ones: a sample of everyday words is in.
    everyday = {
        "ru": {"дом", "окно", "весна", "собака", "зеленый"},
        "uk": {"вікно", "весна", "собака", "зелений", "яблуко"},
    }[language]
    assert everyday <= set(words)


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_each_language_draws_seven_words_of_its_own_list(language):
    drawn = [codenames.generate(language) for _ in range(50)]
    assert all(set(c.split()) <= set(codenames.wordlist(language)) for c in drawn)
    assert all(len(c.split()) == 7 for c in drawn)
    assert 7 * math.log2(len(codenames.wordlist(language))) > 90


def test_a_language_without_a_list_gets_english():
    assert codenames.language_for("de") == "en" and codenames.language_for("ru-RU") == "ru"
    assert set(codenames.generate("de").split()) <= set(codenames.wordlist("en"))


@pytest.mark.django_db
def test_russian_codenames_open_their_request_typed_with_yo_or_capitals(cast):
    request, codename = services.request_submit(
        actor=PORTAL, urgency="stable", text="x", codename_language="ru"
    )
    assert set(codename.split()) <= set(codenames.wordlist("ru"))
    typed = codename.upper().replace("Е", "Ё")
    assert selectors.request_for_codename(typed) == request


@pytest.mark.django_db
def test_english_codenames_given_before_keep_working(cast):
    # A request of the old portal: its lookup is the hash of seven English words.
    old = "smoking impound liquid bagged blatancy engorge unloaded"
    request, _codename = services.request_submit(actor=PORTAL, urgency="stable", text="x")
    request.lookup = codenames.slow_digest(codenames.Purpose.INTAKE_CODENAMES, old)
    request.save(update_fields=["lookup"])
    assert (
        selectors.request_for_codename("Smoking  impound liquid bagged blatancy engorge UNLOADED")
        == request
    )


@pytest.mark.django_db
def test_only_a_slow_hash_of_the_codename_is_stored(cast):
    request, codename = services.request_submit(
        actor=PORTAL, urgency="transit", text="Нужно жильё в Ереване"
    )
    stored = IntakeRequest.objects.filter(pk=request.pk).values().get()
    assert codename not in str(stored)
    assert stored["lookup"] == codenames.lookup(codename) and len(stored["lookup"]) == 64
    # Any case and spacing open it; a single wrong word does not.
    assert selectors.request_for_codename("  " + codename.upper().replace(" ", "   ")) == request
    wrong = " ".join([*codename.split()[:-1], "zzzz"])
    assert selectors.request_for_codename(wrong) is None
    # The message is encrypted in the database, not only in the file.
    raw = Message.objects.filter(request=request).values_list("text", flat=True).get()
    assert "Ереван".encode() not in bytes(raw)


@pytest.mark.django_db
def test_wrong_and_missing_codenames_take_the_same_time(cast):
    """Both compute the same slow hash and make the same single query."""
    _request, codename = services.request_submit(actor=PORTAL, urgency="stable", text="x")
    wrong = " ".join([*codename.split()[:-1], "abacus"])
    never = "abacus " * 7

    def median(typed):
        samples = []
        for _ in range(15):
            start = time.perf_counter()
            selectors.request_for_codename(typed)
            samples.append(time.perf_counter() - start)
        return sorted(samples)[7]

    a, b = median(wrong), median(never)
    assert abs(a - b) < 0.5 * max(a, b)


def test_rate_limits_per_visitor_and_overall_without_keeping_addresses():
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    limit = Limit(per_visitor=3, overall=5)
    assert [limiter.allow("submit", "10.0.0.1", limit) for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    assert limiter.allow("submit", "10.0.0.2", limit)
    assert limiter.allow("submit", "10.0.0.3", limit)
    assert not limiter.allow("submit", "10.0.0.4", limit)  # the overall bucket is empty
    assert not any("10.0.0" in str(key) for key in limiter._buckets)
    now[0] += 3600  # an hour later the buckets have refilled
    assert limiter.allow("submit", "10.0.0.1", limit)
