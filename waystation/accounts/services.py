"""Writes for accounts: invitations, roles, deactivation, one's own password. Each checks its
permission first and writes its audit row in the same transaction as the change. Signing in and
accepting an invitation, before there is an actor, are in ``signin``."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, check
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.keys import Purpose, keyed_digest

from .models import Invite, User
from .roles import Role


def _clean_roles(roles) -> list[str]:
    valid = set(Role.values)
    cleaned = sorted({r for r in roles if r in valid})
    if not cleaned:
        raise ValidationError(_("Choose at least one role."), code="no_roles")
    return cleaned


def _coordinators_left_without(user: User) -> int:
    coordinators = User.objects.with_role(Role.COORDINATOR).filter(is_active=True)
    return coordinators.exclude(pk=user.pk).count()


def user_create(*, actor, username: str, password: str, roles, display_name=""):
    """Create an account directly (command line: the first coordinator of a new instance)."""
    check(actor, Perm.USERS_MANAGE)
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
    check(actor, Perm.USERS_MANAGE)
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


def invite_revoke(*, actor: User, invite: Invite) -> None:
    check(actor, Perm.USERS_MANAGE)
    with transaction.atomic():
        invite.revoked_at = timezone.now()
        invite.save(update_fields=["revoked_at"])
        record(Event.INVITE_REVOKED, actor=actor, obj=invite)


def user_set_roles(*, actor: User, user: User, roles) -> None:
    check(actor, Perm.USERS_MANAGE)
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
    check(actor, Perm.USERS_MANAGE)
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
    check(actor, Perm.USERS_MANAGE)
    with transaction.atomic():
        user.is_active = True
        user.save(update_fields=["is_active"])
        record(Event.USER_REACTIVATED, actor=actor, obj=user)


def password_change(*, actor: User, old_password: str, new_password: str) -> None:
    check(actor, Perm.SIGNED_IN)
    if not actor.check_password(old_password):
        raise ValidationError(_("Your current password is not correct."), code="wrong_password")
    validate_password(new_password, actor)
    with transaction.atomic():
        actor.set_password(new_password)
        actor.save(update_fields=["password"])
        record(Event.PASSWORD_CHANGED, actor=actor, obj=actor)
