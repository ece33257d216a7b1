from django.urls import path

from . import views

app_name = "pathways"

# Pathway ids always hold a hyphen (schema.json), so none can be taken for "proposals".
urlpatterns = [
    path("", views.catalogue_list, name="list"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/<uuid:pk>/decide/", views.decide, name="decide"),
    path("<slug:pathway>/", views.pathway_detail, name="detail"),
    path("<slug:pathway>/propose/", views.propose, name="propose"),
]
