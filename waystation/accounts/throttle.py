"""Login throttling by account name: after N failures within the window the name is locked for
the window's length, whatever the password. No client address is stored (intake users and
members alike may reach us through Tor, where addresses mean nothing anyway)."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from waystation.core.keys import Purpose, keyed_digest

from .models import LoginThrottle


@dataclass(frozen=True)
class ThrottleState:
    locked: bool
    minutes_left: int = 0


def _key(username: str) -> str:
    return keyed_digest(Purpose.LOGIN_THROTTLE, username.strip().casefold())


def throttle_state(username: str) -> ThrottleState:
    row = LoginThrottle.objects.filter(key_digest=_key(username)).first()
    now = timezone.now()
    if row is None or row.locked_until is None or row.locked_until <= now:
        return ThrottleState(False)
    seconds = (row.locked_until - now).total_seconds()
    return ThrottleState(True, max(1, int(seconds // 60) + (1 if seconds % 60 else 0)))


def throttle_register_failure(username: str) -> ThrottleState:
    window = timedelta(minutes=settings.LOGIN_THROTTLE_MINUTES)
    now = timezone.now()
    with transaction.atomic():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(key_digest=_key(username))
        if row.window_started_at + window <= now:
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= settings.LOGIN_THROTTLE_FAILURES:
            row.locked_until = now + window
        row.save()
    return throttle_state(username)


def throttle_clear(username: str) -> None:
    LoginThrottle.objects.filter(key_digest=_key(username)).delete()
