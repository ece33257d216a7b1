from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.page_new, name="new"),
    path("export/", views.export_html, name="export"),
    path("<slug:topic>/<slug:lang>/", views.page, name="page"),
    path("<slug:topic>/<slug:lang>/print/", views.page_print, name="print"),
    path("<slug:topic>/<slug:lang>/edit/", views.page_edit, name="edit"),
    path("<slug:topic>/<slug:lang>/review/", views.page_review, name="review"),
    path("<slug:topic>/<slug:lang>/history/", views.history, name="history"),
    path("<slug:topic>/<slug:lang>/history/<int:number>/", views.revision, name="revision"),
    path("<slug:topic>/<slug:lang>/diff/", views.diff, name="diff"),
]
