"""Marks views as public. Everything else is behind login (LoginRequiredMiddleware) and a policy
permission; tests walk every URL and fail on a view that is neither."""

from django.contrib.auth.decorators import login_not_required


def public(view):
    """A page anyone may open without an account: login, invitations, language switch."""
    view = login_not_required(view)
    view.waystation_public = True
    return view
