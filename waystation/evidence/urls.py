from django.urls import path

from . import views
from .export import views as export_views

app_name = "evidence"

urlpatterns = [
    path("", views.index, name="index"),
    path("items/new/", views.item_new, name="item_new"),
    path("items/<uuid:pk>/", views.item, name="item"),
    path("items/<uuid:pk>/download/", views.item_download, name="item_download"),
    path("items/<uuid:pk>/verification/", views.item_verification, name="item_verification"),
    path("items/<uuid:pk>/events/", views.item_events, name="item_events"),
    path("items/<uuid:pk>/source/", views.item_origin, name="item_origin"),
    path("items/<uuid:pk>/handover/", views.item_handover, name="item_handover"),
    path("items/<uuid:pk>/known-key/", views.item_known_key, name="item_known_key"),
    path("cases/<int:pk>/consent/", views.person_consent, name="person_consent"),
    path("testimonies/new/", views.testimony_new, name="testimony_new"),
    path("testimonies/<uuid:pk>/", views.testimony, name="testimony"),
    path("testimonies/<uuid:pk>/consent/", views.testimony_consent, name="testimony_consent"),
    path("testimonies/<uuid:pk>/event/", views.testimony_event, name="testimony_event"),
    path(
        "testimonies/<uuid:pk>/correction/",
        views.testimony_correction,
        name="testimony_correction",
    ),
    path("events/new/", views.event_new, name="event_new"),
    path("events/withdrawn/", views.events_withdrawn, name="events_withdrawn"),
    path("events/<uuid:pk>/", views.event, name="event"),
    path("events/<uuid:pk>/correct/", views.event_correct, name="event_correct"),
    path("events/<uuid:pk>/withdraw/", views.event_withdraw, name="event_withdraw"),
    path("export/", export_views.package, name="export"),
    path("cases/<int:pk>/export/", export_views.case_export, name="case_export"),
]
