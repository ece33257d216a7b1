"""The anonymous portal, under /intake/; also the whole site of `serve --intake-only`."""

from django.urls import path

from . import portal

app_name = "intake"

urlpatterns = [
    path("", portal.start, name="start"),
    path("new/", portal.request_new, name="new"),
    path("sign-in/", portal.sign_in, name="sign_in"),
    path("thread/", portal.thread, name="thread"),
    path("thread/reply/", portal.reply, name="reply"),
    path("delete/", portal.delete, name="delete"),
    path("sign-out/", portal.sign_out, name="sign_out"),
    # The public safety guides (knowledge) join these under the same namespace in
    # waystation/urls_intake.py, so that neither app imports the other.
]
