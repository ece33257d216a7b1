from django.urls import path

from . import views
from .imports import views as imports

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("mine/", views.my_cases, name="mine"),
    path("tasks/", views.my_tasks, name="tasks"),
    path("new/", views.case_new, name="new"),
    path("import/", imports.import_upload, name="import"),
    path("import/check/", imports.import_preview, name="import_preview"),
    path("import/confirm/", imports.import_confirm, name="import_confirm"),
    path("import/cancel/", imports.import_cancel, name="import_cancel"),
    path("import/rejected/", imports.import_rejected, name="import_rejected"),
    path("<int:pk>/", views.case_page, name="case"),
    path("<int:pk>/edit/", views.case_edit, name="edit"),
    path("<int:pk>/history/", views.case_history, name="case_history"),
    path("<int:pk>/assign/", views.case_assign, name="assign"),
    path("<int:pk>/add/<slug:section>/", views.case_add, name="add"),
    path("<int:pk>/identity/", views.identity_reveal, name="reveal"),
    path("<int:pk>/identity/save/", views.identity_save, name="identity_save"),
    path(
        "<int:pk>/identity/restore/<int:number>/",
        views.identity_restore,
        name="identity_restore",
    ),
    path("need/<int:pk>/met/", views.need_met, name="need_met"),
    path("task/<int:pk>/done/", views.task_done, name="task_done"),
    path("risk/<int:pk>/", views.risk_update, name="risk_update"),
]

# A history page per correctable record, and its two ways to change it (core.corrections).
for _kind in ("note", "risk", "status"):
    _of_kind = {"kind": _kind}
    urlpatterns += [
        path(f"{_kind}/<int:pk>/history/", views.record_history, _of_kind, name=f"{_kind}_history"),
        path(f"{_kind}/<int:pk>/correct/", views.record_correct, _of_kind, name=f"{_kind}_correct"),
        path(
            f"{_kind}/<int:pk>/withdraw/", views.record_withdraw, _of_kind, name=f"{_kind}_withdraw"
        ),
    ]
