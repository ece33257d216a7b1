"""Writes for accounts: sign-in, invitations, roles, deactivation. Each writes its audit row in
the same transaction as the change."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.keys import Purpose, keyed_digest

from .models import Invite, User
from .roles import Role
from .throttle import throttle_register_failure, throttle_register_success, throttle_state


class SignIn(Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignIn
    user: User | None = None
    minutes_left: int = 0


def password_sign_in(*, username: str, password: str, browser: str = "") -> SignInResult:
    """Check a name and password under the throttle (``browser``: the sign-in cookie's token).
    The session is not yet signed in: the caller asks for the second factor first when the
    user has one."""
    state = throttle_state(username, browser)
    if state.locked:
        record(Event.LOGIN_THROTTLED)
        return SignInResult(SignIn.THROTTLED, minutes_left=state.minutes_left)
    user = authenticate(username=username, password=password)
    if user is None:
        known = User.objects.filter(username__iexact=username.strip()).first()
        # An unknown name is recorded without it: the audit log holds no typed-in text.
        record(Event.LOGIN_FAILED, obj=known)  # about that account, not done by it
        state = throttle_register_failure(username, browser)
        if state.locked:
            return SignInResult(SignIn.THROTTLED, minutes_left=state.minutes_left)
        return SignInResult(SignIn.WRONG)
    return SignInResult(SignIn.OK, user=user)


def second_factor_failed(*, username: str, browser: str = "") -> SignInResult:
    state = throttle_register_failure(username, browser)
    if state.locked:
        return SignInResult(SignIn.THROTTLED, minutes_left=state.minutes_left)
    return SignInResult(SignIn.WRONG)


def sign_in_completed(*, user: User, second_factor: bool, browser: str = "") -> None:
    throttle_register_success(user.username, browser)
    record(Event.LOGIN_SUCCEEDED, actor=user, obj=user, data={"second_factor": second_factor})


def signed_out(*, user: User) -> None:
    record(Event.LOGOUT, actor=user, obj=user)


def _clean_roles(roles) -> list[str]:
    valid = set(Role.values)
    cleaned = sorted({r for r in roles if r in valid})
    if not cleaned:
        raise ValidationError(_("Choose at least one role."), code="no_roles")
    return cleaned


def _coordinators_left_without(user: User) -> int:
    coordinators = User.objects.with_role(Role.COORDINATOR).filter(is_active=True)
    return coordinators.exclude(pk=user.pk).count()


def user_create(*, actor: User | None, username: str, password: str, roles, display_name=""):
    """Create an account directly (command line: the first coordinator of a new instance)."""
    roles = _clean_roles(roles)
    user = User(username=username.strip(), display_name=display_name.strip())
    validate_password(password, user)
    if User.objects.filter(username__iexact=user.username).exists():
        raise ValidationError(_("That username is taken."), code="username_taken")
    with transaction.atomic():
        user.set_password(password)
        user.set_roles(roles)
        user.save()
        record(Event.USER_CREATED, actor=actor, obj=user, data={"roles": roles})
    return user


def invite_create(*, actor: User, username: str, display_name: str, roles) -> tuple[Invite, str]:
    """Returns the invitation and its token; the token is shown once and never stored."""
    roles = _clean_roles(roles)
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("That username is taken."), code="username_taken")
    if Invite.objects.filter(
        username__iexact=username,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists():
        raise ValidationError(
            _("An open invitation for that username exists. Revoke it first."),
            code="invite_open",
        )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invite = Invite.objects.create(
            token_digest=keyed_digest(Purpose.INVITE_TOKENS, token),
            username=username,
            display_name=display_name.strip(),
            roles=roles,
            created_by=actor,
            expires_at=timezone.now() + timedelta(hours=settings.INVITE_VALID_HOURS),
        )
        record(Event.USER_INVITED, actor=actor, obj=invite, data={"roles": roles})
    return invite, token


def invite_by_token(token: str) -> Invite | None:
    """The invitation a link points to, if it can still be accepted."""
    invite = Invite.objects.filter(token_digest=keyed_digest(Purpose.INVITE_TOKENS, token)).first()
    return invite if invite is not None and invite.is_open else None


def invite_revoke(*, actor: User, invite: Invite) -> None:
    with transaction.atomic():
        invite.revoked_at = timezone.now()
        invite.save(update_fields=["revoked_at"])
        record(Event.INVITE_REVOKED, actor=actor, obj=invite)


def invite_accept(*, token: str, password: str) -> User:
    """Create the account the invitation describes. Raises ValidationError, creating nothing,
    when the link is no longer valid, the password is weak or the name was taken meanwhile."""
    with transaction.atomic():
        invite = invite_by_token(token)
        if invite is None:
            raise ValidationError(
                _(
                    "This invitation link has expired or was already used. "
                    "Ask your coordinator for a new one."
                ),
                code="invite_invalid",
            )
        invite = Invite.objects.select_for_update().get(pk=invite.pk)
        if not invite.is_open:
            raise ValidationError(_("This invitation was already used."), code="invite_invalid")
        user = User(username=invite.username, display_name=invite.display_name)
        user.set_roles(invite.roles)
        validate_password(password, user)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise ValidationError(
                _(
                    "Someone took that username meanwhile. Ask your coordinator for a new "
                    "invitation."
                ),
                code="username_taken",
            ) from None
        invite.accepted_at, invite.accepted_user = timezone.now(), user
        invite.save(update_fields=["accepted_at", "accepted_user"])
        record(Event.INVITE_ACCEPTED, actor=user, obj=user, data={"invite": invite.pk})
    return user


def user_set_roles(*, actor: User, user: User, roles) -> None:
    roles = _clean_roles(roles)
    before = set(user.roles)
    removed, added = sorted(before - set(roles)), sorted(set(roles) - before)
    if not removed and not added:
        return
    if Role.COORDINATOR in removed and _coordinators_left_without(user) == 0:
        raise ValidationError(
            _("This is the last active coordinator. Make someone else coordinator first."),
            code="last_coordinator",
        )
    with transaction.atomic():
        user.set_roles(roles)
        user.save(update_fields=["role_codes"])
        record(
            Event.USER_ROLES_CHANGED,
            actor=actor,
            obj=user,
            data={"added": added, "removed": removed},
        )


def user_deactivate(*, actor: User, user: User) -> None:
    """Sign-in stops at once: existing sessions of an inactive user are no longer accepted."""
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account."), code="self")
    if Role.COORDINATOR in user.roles and _coordinators_left_without(user) == 0:
        raise ValidationError(
            _("This is the last active coordinator. Make someone else coordinator first."),
            code="last_coordinator",
        )
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        record(Event.USER_DEACTIVATED, actor=actor, obj=user)


def user_reactivate(*, actor: User, user: User) -> None:
    with transaction.atomic():
        user.is_active = True
        user.save(update_fields=["is_active"])
        record(Event.USER_REACTIVATED, actor=actor, obj=user)


def password_change(*, actor: User, old_password: str, new_password: str) -> None:
    if not actor.check_password(old_password):
        raise ValidationError(_("Your current password is not correct."), code="wrong_password")
    validate_password(new_password, actor)
    with transaction.atomic():
        actor.set_password(new_password)
        actor.save(update_fields=["password"])
        record(Event.PASSWORD_CHANGED, actor=actor, obj=actor)
