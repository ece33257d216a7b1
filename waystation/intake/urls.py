"""The anonymous portal, under /intake/; also the whole site of `serve --intake-only`."""

from django.urls import path

from waystation.knowledge import portal as guide

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
    # Public safety pages (waystation.knowledge), readable without a codename.
    path("guide/", guide.guide, name="guide"),
    path("guide/<slug:topic>/", guide.guide_page, name="guide_page"),
]
