from functools import cache

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from waystation.accounts.policy import Perm, requires
from waystation.core.access import public
from waystation.urls import handler403, handler404, handler500  # noqa: F401


@public
def hello(request):
    return HttpResponse("hello")


# What every signed-in page pays before its own work, in two steps, to tell the dashboard's
# own cost from the rest: the session, the user row and the permission check (no template),
# then the frame (base.html with an empty page: navigation, language buttons, CSRF fields).
@requires(Perm.DASHBOARD_VIEW)
def signed_in(request):
    return HttpResponse(f"hello {request.user.pk}")


_FRAME = '{% extends "base.html" %}{% block title %}Frame{% endblock %}'


@cache
def _frame():
    # Compiled once, as a page's template file is by the cached loader (until 2026-12-07 it was
    # compiled on every request, which the frame's figure counted as the frame's own cost).
    return engines["django"].from_string(_FRAME)


@requires(Perm.DASHBOARD_VIEW)
def frame(request):
    return HttpResponse(_frame().render({}, request))


urlpatterns = [
    path("bench/hello/", hello),
    path("bench/signed-in/", signed_in),
    path("bench/frame/", frame),
    path("", include("waystation.urls")),
]
