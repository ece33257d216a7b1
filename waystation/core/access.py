"""Marks views as public. Everything else is behind login (LoginRequiredMiddleware) and a policy
permission; tests walk every URL and fail on a view that is neither."""

from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_not_required
from django.views.decorators.cache import never_cache


def public(view):
    """A page anyone may open without an account: login, invitations, language switch."""
    view = login_not_required(view)
    view.waystation_public = True
    return view


# Stricter than the staff pages: no script, no images but our own, nothing to connect to.
portal_csp = csp_replace(
    {
        "default-src": ["'none'"],
        "script-src": ["'none'"],
        "connect-src": ["'none'"],
        "font-src": ["'none'"],
        "img-src": ["'self'"],
    }
)


def portal_view(view):
    """Public, strict CSP, never cached by the browser or a proxy."""
    return public(portal_csp(never_cache(view)))
