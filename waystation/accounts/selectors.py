from django.utils import timezone

from waystation.core.prepared import prepared_rows

from .models import Invite, User
from .policy import Perm, can, visible


def users_for(viewer) -> list[User]:
    """Every account with its roles, in one query, for those who manage users."""
    return list(
        visible(viewer, User.objects.all(), Perm.USERS_MANAGE).order_by("-is_active", "username")
    )


def open_invites_for(viewer) -> list[Invite]:
    if not can(viewer, Perm.USERS_MANAGE):
        return []
    return list(
        Invite.objects.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("created_by")
        .order_by("expires_at")
    )


def team_summary_for(viewer) -> dict | None:
    """Counts for the coordinator's dashboard; None for anyone else."""
    if not can(viewer, Perm.USERS_MANAGE):
        return None
    # On every dashboard of a coordinator: the member counts' SQL compiled once (see
    # core.prepared; the invitations' depends on the time, which it does not map).
    return {
        "active": prepared_rows("active-members", _active_members, viewer, count=True),
        "without_totp": prepared_rows("without-totp", _without_totp, viewer, count=True),
        "open_invites": Invite.objects.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).count(),
    }


def _active_members(viewer):
    return User.objects.filter(is_active=True)


def _without_totp(viewer):
    return User.objects.filter(is_active=True, totp_secret=b"")
