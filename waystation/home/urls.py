from django.urls import path

from . import views

app_name = "home"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("emergency/destroy-keys/", views.panic, name="panic"),
    path("audit/", views.audit_log, name="audit"),
]
