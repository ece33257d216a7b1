"""The whole site of `waystation serve --intake-only`: the anonymous portal at the root, the
language switch, and nothing of the staff side (no sign-in page, no unseal page)."""

from django.urls import include, path
from django.views.i18n import set_language

from waystation.core.access import public

urlpatterns = [
    path("", include("waystation.intake.urls")),
    path("language/", public(set_language), name="set_language"),
]

handler404 = "waystation.core.views.page_not_found"
handler500 = "waystation.core.views.server_error"
