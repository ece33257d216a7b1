from django.urls import path

from . import case_views, views

app_name = "pathways"

# Pathway ids always hold a hyphen (schema.json), so none can be taken for "proposals" or
# "case".
urlpatterns = [
    path("", views.catalogue_list, name="list"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/<uuid:pk>/decide/", views.decide, name="decide"),
    path("case/<int:case>/", case_views.case_comparison, name="case_comparison"),
    path("case/<int:case>/choose/", case_views.case_choose, name="case_choose"),
    path("case/<int:case>/<slug:pathway>/", case_views.case_readiness, name="case_readiness"),
    path("case/<int:case>/<slug:pathway>/remove/", case_views.case_remove, name="case_remove"),
    path(
        "case/<int:case>/<slug:pathway>/<slug:criterion>/task/",
        case_views.gap_task,
        name="gap_task",
    ),
    path(
        "case/<int:case>/<slug:pathway>/<slug:criterion>/mark/",
        case_views.evidence_mark,
        name="evidence_mark",
    ),
    path(
        "case/<int:case>/<slug:pathway>/<slug:criterion>/unmark/<int:mark>/",
        case_views.evidence_unmark,
        name="evidence_unmark",
    ),
    path("<slug:pathway>/", views.pathway_detail, name="detail"),
    path("<slug:pathway>/propose/", views.propose, name="propose"),
    path("<slug:pathway>/case/", case_views.case_lookup, name="case_lookup"),
]
