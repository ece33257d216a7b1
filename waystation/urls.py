from django.urls import include, path
from django.views.i18n import set_language

from waystation.core import views as core_views
from waystation.core.access import public
from waystation.urls_intake import portal

urlpatterns = [
    path("", include("waystation.home.urls")),
    path("accounts/", include("waystation.accounts.urls")),
    path("cases/", include("waystation.cases.urls")),
    path("intake/", include(portal)),
    path("requests/", include("waystation.intake.triage_urls")),
    path("outreach/", include("waystation.outreach.urls")),
    path("evidence/", include("waystation.evidence.urls")),
    path("knowledge/", include("waystation.knowledge.urls")),
    path("ledger/", include("waystation.ledger.urls")),
    path("pathways/", include("waystation.pathways.urls")),
    path("dossiers/", include("waystation.pathways.dossier.urls")),
    path("screening/", include("waystation.screening.urls")),
    path("partners/", include("waystation.partners.urls")),
    path("language/", public(set_language), name="set_language"),
    path("unseal/", core_views.unseal, name="unseal"),
    path("api/v1/", include("waystation.api.urls")),
    path("tokens/", include("waystation.api.page_urls")),
]

handler403 = "waystation.core.views.permission_denied"
handler404 = "waystation.core.views.page_not_found"
handler500 = "waystation.core.views.server_error"
