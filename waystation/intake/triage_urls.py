from django.urls import path

from . import triage

app_name = "triage"

urlpatterns = [
    path("", triage.queue, name="queue"),
    path("<uuid:pk>/", triage.request_page, name="request"),
    path("<uuid:pk>/reply/", triage.reply, name="reply"),
    path("<uuid:pk>/spam/", triage.mark_spam, name="spam"),
    path("<uuid:pk>/case/", triage.convert, name="convert"),
    path("file/<uuid:pk>/", triage.attachment, name="attachment"),
    path("file/<uuid:pk>/evidence/", triage.to_evidence, name="to_evidence"),
]
