from django.urls import path

from . import importing, statistics_views, views

app_name = "outreach"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("new/", views.organisation_new, name="organisation_new"),
    path("<int:pk>/", views.organisation, name="organisation"),
    path("<int:pk>/approach/", views.approach_new, name="approach_new"),
    path("<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("<int:pk>/name/", views.organisation_alias, name="organisation_alias"),
    path("<int:pk>/merge/", views.organisation_merge, name="organisation_merge"),
    path("<int:pk>/contact/", views.contact_add, name="contact_add"),
    path("approach/<int:pk>/response/", views.response_new, name="response_new"),
    path("export/", views.export, name="export"),
    path("statistics/", statistics_views.statistics, name="statistics"),
    path("statistics/<slug:name>.svg", statistics_views.chart, name="chart"),
    path("import/", importing.import_upload, name="import"),
    path("import/preview/", importing.import_preview, name="import_preview"),
    path("import/confirm/", importing.import_confirm, name="import_confirm"),
    path("import/cancel/", importing.import_cancel, name="import_cancel"),
    path("import/rejected/", importing.import_rejected, name="import_rejected"),
    path("import/job/<int:pk>/", importing.import_job, name="import_job"),
    path("import/job/<int:pk>/cancel/", importing.import_job_cancel, name="import_job_cancel"),
    path(
        "import/job/<int:pk>/rejected/",
        importing.import_job_rejected,
        name="import_job_rejected",
    ),
    path("digest/", views.digest, name="digest"),
    path("digest/<int:pk>/", views.digest, name="digest_week"),
    path("digest/build/", views.digest_build, name="digest_build"),
]
