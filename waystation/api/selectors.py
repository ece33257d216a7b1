"""Reads of tokens: a member sees his own; a coordinator (users.manage) anyone's."""

from django.db.models import QuerySet
from django.http import Http404

from waystation.accounts.policy import Perm, can

from .models import Token


def tokens_visible(viewer) -> QuerySet:
    if not can(viewer, Perm.SIGNED_IN):
        return Token.objects.none()
    tokens = Token.objects.select_related("user")
    return tokens if can(viewer, Perm.USERS_MANAGE) else tokens.filter(user=viewer)


def token_get_for(viewer, pk) -> Token:
    """One token the viewer may see, or 404 (the same for missing and someone else's)."""
    try:
        return tokens_visible(viewer).get(pk=pk)
    except (Token.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
