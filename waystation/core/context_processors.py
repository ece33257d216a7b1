from django.conf import settings

from waystation.accounts.navigation import navigation_for


def shell(request):
    user = getattr(request, "user", None)
    return {
        "demo_instance": settings.DEMO,
        "nav_items": navigation_for(user, request.path) if user else [],
    }
