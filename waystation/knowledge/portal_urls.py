"""The public safety guides, in the portal's namespace (joined with the portal's own pages in
waystation/urls_intake.py): readable without an account or a codename."""

from django.urls import path

from . import portal

urlpatterns = [
    path("guide/", portal.guide, name="guide"),
    path("guide/<slug:topic>/", portal.guide_page, name="guide_page"),
]
