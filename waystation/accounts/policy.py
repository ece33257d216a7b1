"""The one permission policy of Waystation.

Read this file to know who may do what. ``PERMISSIONS`` maps each role to what it may do; a user
holding several roles gets the union. ``OBJECT_RULES`` narrows querysets to the rows a user may
see. Everything not granted here is refused (fail closed): an unknown permission, a model without
an object rule, an inactive or anonymous user.

Views use ``@requires(Perm.X)``; object lookups use ``get_for(...)``, which answers the same 404
for a row that does not exist and for one the user may not see.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from .roles import Role


class Perm(StrEnum):
    SIGNED_IN = "signed_in"  # anything any active member may do: own account, sign out
    DASHBOARD_VIEW = "dashboard.view"
    USERS_MANAGE = "users.manage"  # invite, change roles, deactivate, reset second factor
    AUDIT_VIEW = "audit.view"
    PANIC = "instance.panic"  # destroy the keys: all data becomes unreadable for ever
    OUTREACH_VIEW = "outreach.view"  # the directory, the log, the statistics
    OUTREACH_EDIT = "outreach.edit"  # record approaches and responses, import, export, merge


_MEMBER = frozenset({Perm.SIGNED_IN, Perm.DASHBOARD_VIEW})

PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.COORDINATOR: _MEMBER
    | {Perm.USERS_MANAGE, Perm.AUDIT_VIEW, Perm.PANIC, Perm.OUTREACH_VIEW, Perm.OUTREACH_EDIT},
    Role.CASEWORKER: _MEMBER | {Perm.OUTREACH_VIEW},
    Role.LAWYER: _MEMBER | {Perm.OUTREACH_VIEW},
    Role.DOCUMENTATION_OFFICER: _MEMBER,
    Role.SCREENER: _MEMBER,
    Role.TREASURER: _MEMBER,
}


def permissions_of(user) -> frozenset[Perm]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    granted = {Perm.SIGNED_IN}
    for role in user.roles:
        granted |= PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def can(user, perm: Perm) -> bool:
    return perm in permissions_of(user)


def _users_visible(user, queryset: QuerySet) -> QuerySet:
    return queryset if can(user, Perm.USERS_MANAGE) else queryset.none()


def _audit_visible(user, queryset: QuerySet) -> QuerySet:
    return queryset if can(user, Perm.AUDIT_VIEW) else queryset.none()


def _outreach_visible(user, queryset: QuerySet) -> QuerySet:
    return queryset if can(user, Perm.OUTREACH_VIEW) else queryset.none()


# model label -> function(user, queryset) returning the rows that user may see.
OBJECT_RULES: dict[str, Callable[[object, QuerySet], QuerySet]] = {
    "accounts.user": _users_visible,
    "audit.auditevent": _audit_visible,
    "outreach.organisation": _outreach_visible,
    "outreach.approach": _outreach_visible,
    "outreach.organisationname": _outreach_visible,
}


def visible(user, queryset: QuerySet, perm: Perm) -> QuerySet:
    """The rows of ``queryset`` that ``user`` may see for ``perm``; none if no rule exists."""
    rule = OBJECT_RULES.get(queryset.model._meta.label_lower)
    if rule is None or not can(user, perm):
        return queryset.none()
    return rule(user, queryset)


def get_for(user, queryset: QuerySet, pk, perm: Perm) -> Model:
    """Fetch one object the user may act on, or 404 — the same for missing and forbidden."""
    try:
        return visible(user, queryset, perm).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def requires(perm: Perm):
    """Guard a view with a permission. The guard is recorded on the view so that a test can walk
    every URL and find any view that is neither public nor guarded."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not can(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        guarded.waystation_permission = perm
        return guarded

    return decorate
