"""Login throttling that slows guessing without letting a stranger lock a member out.

A browser is known by a random cookie (``ws_browser``, sent only to the sign-in pages); the
server keeps nothing but keyed digests of it, and no client address (members, like intake
visitors, may come through Tor, where addresses mean nothing). Failures count in four places:

* **name + browser**: a growing back-off (``LOGIN_BACKOFF_SECONDS`` doubling after
  ``LOGIN_THROTTLE_FAILURES`` failures, at most ``LOGIN_THROTTLE_MINUTES``). It holds only
  that browser: the right password from another browser is not held by it.
* **name, from browsers that never signed in as it**: the same back-off, for new browsers
  only. A browser where the member has signed in before is not held by it, so a stranger
  guessing at a name cannot lock its member out (nor keep a coordinator from the panic
  button).
* **browser**: the same back-off across every name, against one browser spraying names.
* **everyone**: at most ``LOGIN_THROTTLE_GLOBAL_PER_HOUR`` failures an hour from browsers not
  known for the name tried, against a password sprayed over all names from fresh browsers.
  Over it, new browsers wait for the hour to end; known browsers sign in as usual.

The rows are in the database, so on PostgreSQL every app server counts into the same ones.
Rows of browsers not known for a name, with no failure for a day and no lock left, are swept
now and then. (The table stays a logged one, unlike the intake's buckets in core.limits: a
crash must not forget which browsers are known, or a stranger guessing a name could then lock
its member out.)
"""

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from waystation.core.keys import Purpose, keyed_digest

from .models import LoginThrottle

BROWSER_COOKIE = "ws_browser"
_FORGET_AFTER = timedelta(hours=24)  # a back-off row with no failure for this long restarts
_HOUR = timedelta(hours=1)
_SWEEP_EVERY = 600.0  # seconds between sweeps by one process
_last_sweep = 0.0


@dataclass(frozen=True)
class ThrottleState:
    locked: bool
    minutes_left: int = 0


def new_browser_token() -> str:
    return secrets.token_urlsafe(32)


def valid_browser_token(token: str | None) -> str:
    """The cookie's token if it looks like one of ours, else ""."""
    if token and 40 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token):
        return token
    return ""


def _name(username: str) -> str:
    return username.strip().casefold()


def _key(*parts: str) -> str:
    return keyed_digest(Purpose.LOGIN_THROTTLE, "\0".join(parts))


def _keys(username: str, browser: str) -> dict[str, str | None]:
    name = _name(username)
    return {
        "pair": _key("pair", name, browser) if browser else None,
        "name": _key("name", name),
        "browser": _key("browser", browser) if browser else None,
        "all": _key("all"),
    }


def _state(rows) -> ThrottleState:
    now = timezone.now()
    until = max((r.locked_until for r in rows if r and r.locked_until and r.locked_until > now),
                default=None)
    if until is None:
        return ThrottleState(False)
    seconds = (until - now).total_seconds()
    return ThrottleState(True, max(1, int(seconds // 60) + (1 if seconds % 60 else 0)))


def _rows(keys: dict[str, str | None], *, lock: bool = False) -> dict[str, LoginThrottle | None]:
    wanted = [k for k in keys.values() if k]
    query = LoginThrottle.objects.filter(key_digest__in=wanted)
    if lock:
        query = query.select_for_update()
    found = {row.key_digest: row for row in query}
    return {scope: found.get(key) if key else None for scope, key in keys.items()}


def throttle_state(username: str, browser: str = "") -> ThrottleState:
    """Whether a sign-in as ``username`` from ``browser`` must wait, and how long."""
    rows = _rows(_keys(username, browser))
    pair = rows["pair"]
    if pair is not None and pair.known:
        return _state([pair])
    return _state(rows.values())


def _backoff(row: LoginThrottle, now) -> None:
    if row.failures and row.window_started_at + _FORGET_AFTER <= now:
        row.failures, row.locked_until = 0, None
    row.failures += 1
    row.window_started_at = now
    over = row.failures - settings.LOGIN_THROTTLE_FAILURES
    if over >= 0:
        seconds = min(
            settings.LOGIN_BACKOFF_SECONDS * 2 ** min(over, 20),
            settings.LOGIN_THROTTLE_MINUTES * 60,
        )
        row.locked_until = now + timedelta(seconds=seconds)


def _hourly(row: LoginThrottle, now) -> None:
    if row.window_started_at + _HOUR <= now:
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= settings.LOGIN_THROTTLE_GLOBAL_PER_HOUR:
        row.locked_until = row.window_started_at + _HOUR


def _sweep(now) -> None:
    """Remove the rows that have run out: nothing known, no failure for a day, no lock."""
    global _last_sweep
    if time.monotonic() - _last_sweep < _SWEEP_EVERY:
        return
    _last_sweep = time.monotonic()
    LoginThrottle.objects.filter(known=False, window_started_at__lt=now - _FORGET_AFTER).exclude(
        locked_until__gt=now
    ).delete()


def throttle_register_failure(username: str, browser: str = "") -> ThrottleState:
    keys = _keys(username, browser)
    now = timezone.now()
    _sweep(now)
    with transaction.atomic():
        for key in keys.values():
            if key:
                LoginThrottle.objects.get_or_create(key_digest=key)
        rows = _rows(keys, lock=True)
        known = rows["pair"] is not None and rows["pair"].known
        counted = ["pair"] if known else ["pair", "name", "browser"]
        for scope in counted:
            if rows[scope] is not None:
                _backoff(rows[scope], now)
                rows[scope].save()
        if not known:
            _hourly(rows["all"], now)
            rows["all"].save()
    return throttle_state(username, browser)


def throttle_register_success(username: str, browser: str = "") -> None:
    """The member signed in from this browser: its own back-off ends, and it is known for this
    name from now on. The name's back-off for new browsers stays: it may be a stranger's."""
    if not browser:
        return
    LoginThrottle.objects.update_or_create(
        key_digest=_keys(username, browser)["pair"],
        defaults={"failures": 0, "locked_until": None, "known": True},
    )
