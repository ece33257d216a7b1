"""Personal access tokens: made by a member for himself, or by a coordinator for a member;
revoked by either. The token is returned once, to be shown once; only its keyed digest is kept."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waystation.accounts.policy import Perm, check, member, permissions_of
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.refusals import NotVisible, Refusal

from .auth import TOKEN_PREFIX, token_digest
from .models import Token

MAX_DAYS = 365


class TokenError(Refusal):
    """A token cannot be made or changed as asked."""


def _may_manage_for(actor, user) -> bool:
    return getattr(actor, "pk", None) == user.pk or Perm.USERS_MANAGE in permissions_of(actor)


def token_create(*, actor, user, name: str, scopes, days: int) -> tuple[Token, str]:
    """A new token for ``user``; returns it and the token itself, which is never shown again.
    ``scopes`` must be permissions ``user`` holds now; ``days`` from 1 to 365."""
    check(actor, Perm.SIGNED_IN)
    if not _may_manage_for(actor, user):
        raise NotVisible()
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise TokenError(_("Give the token a name of 1 to 100 characters."))
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(_("A token lasts from 1 to %(days)d days."), days=MAX_DAYS)
    wanted = set(scopes or ())
    if not wanted:
        raise TokenError(_("Choose at least one scope."))
    held = {p.value for p in permissions_of(user)}
    if not user.is_active or not wanted <= held:
        raise TokenError(_("A token can hold only permissions its member holds."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = Token.objects.create(
            user=user,
            name=name,
            digest=token_digest(raw),
            hint=raw[len(TOKEN_PREFIX): len(TOKEN_PREFIX) + 6],
            scopes=sorted(wanted),
            created_by=member(actor),
            expires_at=timezone.now() + timedelta(days=days),
        )
        record(
            Event.API_TOKEN_CREATED, actor=actor, obj=token,
            data={"member": user.pk, "scopes": token.scopes, "days": days},
        )
    return token, raw


def token_revoke(*, actor, token: Token) -> Token:
    """Revoke ``token`` at once (its member's own, or any for a coordinator)."""
    check(actor, Perm.SIGNED_IN)
    if not _may_manage_for(actor, token.user):
        raise NotVisible()
    with transaction.atomic():
        token = Token.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record(Event.API_TOKEN_REVOKED, actor=actor, obj=token, data={"member": token.user_id})
    return token
