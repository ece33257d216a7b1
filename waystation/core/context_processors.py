from functools import cache

from django.conf import settings
from django.utils.translation import get_language_info

from waystation.accounts.navigation import navigation_for


@cache
def _languages() -> list[tuple[str, str]]:
    """Each language in its own name (English, Русский …), worked out once."""
    return [
        (code, get_language_info(code)["name_local"].capitalize()) for code, _ in settings.LANGUAGES
    ]


def shell(request):
    user = getattr(request, "user", None)
    return {
        "demo_instance": settings.DEMO,
        "nav_items": (
            navigation_for(user, request.path)
            if user is not None and user.is_authenticated and not settings.INTAKE_ONLY
            else []
        ),
        "language_choices": _languages(),
    }
