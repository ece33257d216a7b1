"""Reads of partner groups, for the member asking."""

from django.db.models import F, QuerySet

from waystation.accounts.policy import Perm, get_for, visible

from .models import Partner


def partners_for(user) -> QuerySet:
    """Every partner, active ones first, for a member who manages them."""
    return visible(user, Partner.objects.all(), Perm.PARTNERS_MANAGE).order_by(
        F("revoked_at").asc(nulls_first=True), "name"
    )


def partner_for(user, pk) -> Partner:
    """One partner, or 404 for missing and forbidden alike."""
    return get_for(user, Partner.objects.all(), pk, Perm.PARTNERS_MANAGE)
