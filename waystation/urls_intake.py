"""The whole site of `waystation serve --intake-only`: the anonymous portal at the root, the
language switch, and nothing of the staff side (no sign-in page, no unseal page)."""

from django.urls import include, path
from django.views.i18n import set_language

from waystation.core.access import public
from waystation.intake import urls as intake_urls
from waystation.knowledge import portal_urls as guide_urls

# The portal's pages and the public safety guides answer under one namespace, "intake"
# (intake:start, intake:guide …): the guides are knowledge's pages in the portal's frame. They
# are joined here, at the top, so that neither app imports the other.
portal = ([*intake_urls.urlpatterns, *guide_urls.urlpatterns], intake_urls.app_name)

urlpatterns = [
    path("", include(portal)),
    path("language/", public(set_language), name="set_language"),
]

handler404 = "waystation.core.views.page_not_found"
handler500 = "waystation.core.views.server_error"
