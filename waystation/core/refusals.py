"""The one family of refusals. Every service that declines what it was asked raises a subclass
of ``Refusal`` with a message a member can read (translated); views show that message next to
what was typed. The two permission refusals are also Django's own exceptions, so Django's
handler answers them in one place: ``NotVisible`` is a 404 (the same answer for a record that
does not exist and for one the member may not see), ``Forbidden`` is a 403.

Core knows no feature: features subclass these (``CaseError(Refusal)``) instead of defining
their own roots, and catch ``Refusal`` where any of them will do.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404


class Refusal(Exception):
    """A service declines: the input or the state does not allow it. ``str()`` is the message
    for the member, translated when it is read (a lazy text stays lazy until then), with
    ``params`` filled in: ``Refusal(TOO_BIG, limit="20 MB")``; ``ngettext_lazy`` picks its
    plural form from them."""

    def __init__(self, message="", *args, **params):
        super().__init__(message, *args)
        self._message, self.params = message, params

    @property
    def message(self) -> str:
        return str(self._message % self.params if self.params else self._message)

    def __str__(self) -> str:
        return self.message


class Forbidden(Refusal, PermissionDenied):
    """The actor may not do this (403). Raised by ``accounts.policy.check``."""


class NotVisible(Refusal, Http404):
    """The record does not exist for this actor (404): missing and hidden answer alike."""
