import time

import pytest

from waystation.intake import codenames, services
from waystation.intake.models import IntakeRequest, Message
from waystation.intake.ratelimit import Limit, RateLimiter


def test_codenames_are_seven_words_from_the_shipped_list():
    words = codenames.wordlist()
    assert len(words) == 7776
    drawn = [codenames.generate() for _ in range(200)]
    assert len(set(drawn)) == 200
    assert all(len(c.split()) == 7 and set(c.split()) <= set(words) for c in drawn)


@pytest.mark.django_db
def test_only_a_slow_hash_of_the_codename_is_stored(cast):
    request, codename = services.request_submit(urgency="transit", text="Нужно жильё в Ереване")
    stored = IntakeRequest.objects.filter(pk=request.pk).values().get()
    assert codename not in str(stored)
    assert stored["lookup"] == codenames.lookup(codename) and len(stored["lookup"]) == 64
    # Any case and spacing open it; a single wrong word does not.
    assert services.request_for_codename("  " + codename.upper().replace(" ", "   ")) == request
    wrong = " ".join([*codename.split()[:-1], "zzzz"])
    assert services.request_for_codename(wrong) is None
    # The message is encrypted in the database, not only in the file.
    raw = Message.objects.filter(request=request).values_list("text", flat=True).get()
    assert "Ереван".encode() not in bytes(raw)


@pytest.mark.django_db
def test_wrong_and_missing_codenames_take_the_same_time(cast):
    """Both compute the same slow hash and make the same single query."""
    _request, codename = services.request_submit(urgency="stable", text="x")
    wrong = " ".join([*codename.split()[:-1], "abacus"])
    never = "abacus " * 7

    def median(typed):
        samples = []
        for _ in range(15):
            start = time.perf_counter()
            services.request_for_codename(typed)
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
