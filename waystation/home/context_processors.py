from django.conf import settings

from .navigation import navigation_for


def navigation(request):
    """The header's links, those the signed-in member's roles open; none on the portal."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated and not settings.INTAKE_ONLY
    return {"nav_items": navigation_for(user, request.path) if signed_in else []}
