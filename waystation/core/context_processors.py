from functools import cache

from django.conf import settings
from django.utils.translation import get_language_info


@cache
def _languages() -> list[tuple[str, str]]:
    """Each language in its own name (English, Русский …), worked out once."""
    return [
        (code, get_language_info(code)["name_local"].capitalize()) for code, _ in settings.LANGUAGES
    ]


def shell(request):
    """What every page's frame needs, the portal's included; the staff side's navigation comes
    from home.context_processors."""
    return {"demo_instance": settings.DEMO, "language_choices": _languages()}
