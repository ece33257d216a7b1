"""TOTP second factor (RFC 6238) and single-use recovery codes."""

import secrets

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.keys import Purpose, keyed_digest

from .models import RecoveryCode, User

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes: 0/o, 1/l/i


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=settings.TOTP_ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG markup, rendered here: no image service, no script."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#1d2a33", light="#ffffff")


def _matching_step(secret: str, code: str) -> int | None:
    """The time step the code belongs to, allowing one step of clock drift either way."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = timezone.now()
    for drift in (0, -1, 1):
        at = now.timestamp() + drift * totp.interval
        if secrets.compare_digest(totp.at(at), code):
            return int(at // totp.interval)
    return None


def _recovery_digest(user: User, code: str) -> str:
    normalized = "".join(code.split()).replace("-", "").lower()
    return keyed_digest(Purpose.RECOVERY_CODES, f"{user.pk}:{normalized}")


def _new_recovery_codes(user: User) -> list[str]:
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=_recovery_digest(user, c)) for c in codes
    )
    return codes


def totp_enrol(*, actor: User, secret: str, code: str) -> list[str] | None:
    """Confirm enrolment with a first code; returns the recovery codes to show once, or None
    when the code does not match (nothing is saved then)."""
    step = _matching_step(secret, code)
    if step is None:
        return None
    with transaction.atomic():
        actor.totp_secret, actor.totp_last_step = secret, step
        actor.save(update_fields=["totp_secret", "totp_last_step"])
        codes = _new_recovery_codes(actor)
        record(Event.TOTP_ENROLLED, actor=actor, obj=actor)
    return codes


def second_factor_check(*, user: User, code: str) -> bool:
    """Accept a current TOTP code (each at most once) or an unused recovery code."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        step = _matching_step(user.totp_secret, code) if user.totp_secret else None
        if step is not None and step > user.totp_last_step:
            user.totp_last_step = step
            user.save(update_fields=["totp_last_step"])
            return True
        used = RecoveryCode.objects.filter(
            user=user, digest=_recovery_digest(user, code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if used:
            left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
            record(Event.RECOVERY_CODE_USED, actor=user, obj=user, data={"codes_left": left})
            return True
        record(Event.SECOND_FACTOR_FAILED, actor=user, obj=user)
        return False


def recovery_codes_renew(*, actor: User, code: str) -> list[str] | None:
    """New recovery codes (the old ones stop working), after a current authenticator code;
    None, changing nothing, when the code is wrong."""
    with transaction.atomic():
        actor = User.objects.select_for_update().get(pk=actor.pk)
        step = _matching_step(actor.totp_secret, code) if actor.totp_secret else None
        if step is None or step <= actor.totp_last_step:
            record(Event.SECOND_FACTOR_FAILED, actor=actor, obj=actor)
            return None
        actor.totp_last_step = step
        actor.save(update_fields=["totp_last_step"])
        codes = _new_recovery_codes(actor)
        record(Event.RECOVERY_CODES_RENEWED, actor=actor, obj=actor)
    return codes


def totp_reset(*, actor: User, user: User) -> None:
    """A coordinator clears someone's lost authenticator; they enrol again at next sign-in."""
    with transaction.atomic():
        user.totp_secret, user.totp_last_step = "", 0
        user.save(update_fields=["totp_secret", "totp_last_step"])
        RecoveryCode.objects.filter(user=user).delete()
        record(Event.TOTP_RESET, actor=actor, obj=user)


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
