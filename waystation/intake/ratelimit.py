"""Rate limits for the anonymous portal that store no addresses.

In PostgreSQL mode (several app servers) the token buckets are shared by every server, in the
database's unlogged limit table (``core.limits``), keyed by an HMAC under an instance
sub-key of the action and who the visitor is: a budget spent on one server is spent on all,
and the table holds no address. Rows untouched for an hour are swept.

In embedded mode (one process) the token buckets live in this process's memory only. A
visitor's bucket is keyed by an HMAC of who the visitor is under a random key that is made in
memory and replaced every day, so even a memory dump cannot link today's buckets to a visitor
without that day's key, and nothing reaches the disk. A global bucket per action bounds the
total.

Who the visitor is: the connection's address on the open internet; behind Tor (every visitor
arrives from 127.0.0.1 there, so the address would make everyone one visitor), behind a trusted
reverse proxy (whose address every visitor has) or whenever the address is a loopback one, the
browser, by its form-token cookie. One client then uses up its own budget, not everyone's. A
client that throws its cookies away gets a new budget each time and meets only the global one:
against that, the onion service's own proof-of-work defence (docs/intake.md) makes every new
connection cost the sender.
"""

import hashlib
import hmac
import ipaddress
import os
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from waystation.core import limits as shared_limits

_DAY = 24 * 3600


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Limit:
    per_visitor: int  # actions per hour for one visitor; 0 turns the per-visitor limit off
    overall: int  # actions per hour for everyone together


class RateLimiter:
    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._key, self._key_made = os.urandom(32), clock()

    def _visitor(self, who: str) -> str:
        if self._clock() - self._key_made > _DAY:
            self._key, self._key_made = os.urandom(32), self._clock()
            self._buckets.clear()  # yesterday's keys mean nothing any more
        return hmac.new(self._key, who.encode(), hashlib.sha256).hexdigest()[:32]

    def _take(self, key: tuple[str, str], per_hour: int, now: float) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=float(per_hour), updated=now)
        bucket.tokens = min(per_hour, bucket.tokens + (now - bucket.updated) * per_hour / 3600)
        bucket.updated = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def allow(self, action: str, who: str, limit: Limit) -> bool:
        """Whether one more ``action`` is allowed now; counts it if so."""
        with self._lock:
            now = self._clock()
            if len(self._buckets) > 100_000:  # a flood of addresses must not eat the memory
                self._buckets.clear()
            if limit.per_visitor and not self._take(
                (action, self._visitor(who)), limit.per_visitor, now
            ):
                return False
            return self._take((action, "*"), limit.overall, now)


class SharedRateLimiter:
    """The same buckets in PostgreSQL, shared by every app server (``core.limits``)."""

    def allow(self, action: str, who: str, limit: Limit) -> bool:
        name = f"intake:{action}"
        if limit.per_visitor and not shared_limits.take(name, who, limit.per_visitor):
            return False
        return shared_limits.take(name, "*", limit.overall)


def _limiter() -> RateLimiter | SharedRateLimiter:
    return SharedRateLimiter() if connection.vendor == "postgresql" else RateLimiter()


LIMITER = _limiter()


def limits() -> dict[str, Limit]:
    return {
        "submit": Limit(settings.INTAKE_SUBMITS_PER_VISITOR, settings.INTAKE_SUBMITS_OVERALL),
        "codename": Limit(settings.INTAKE_LOGINS_PER_VISITOR, settings.INTAKE_LOGINS_OVERALL),
        "reply": Limit(settings.INTAKE_SUBMITS_PER_VISITOR * 4, settings.INTAKE_SUBMITS_OVERALL),
    }


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return True  # no usable address: it says nothing about who this is


def visitor(request) -> str:
    """What a visitor's bucket is keyed by (hashed at once by the limiter)."""
    # REMOTE_ADDR is read here and only here, and never stored or logged.
    address = request.META.get("REMOTE_ADDR", "")
    if settings.INTAKE_BEHIND_TOR or settings.TRUSTED_PROXY or _loopback(address):
        return "browser:" + request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")[:64]
    return "address:" + address


def allowed(request, action: str) -> bool:
    return LIMITER.allow(action, visitor(request), limits()[action])
