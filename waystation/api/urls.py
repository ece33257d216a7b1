"""/api/v1/: the reference page, the OpenAPI description, and ninja's operations, each view
marked as the API's (no sign-in page: a token or 401). Evidence's tus uploads are added here
as plain Django views guarded by ``auth.token_view``."""

from functools import wraps

from django.urls import path, re_path

from . import tus, views
from .auth import mark_api_view
from .v1 import api


def _token_guarded(pattern):
    view = pattern.callback

    @wraps(view)
    def operation(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    return path(str(pattern.pattern), mark_api_view(operation), name=pattern.name)


_operations, _app, _namespace = api.urls
app_name = _namespace  # "api-v1", which ninja reverses its root by

urlpatterns = [
    path("", views.reference, name="api-root"),
    path("openapi.json", views.openapi_json, name="openapi-json"),
    path("uploads/", tus.upload_create, name="tus-uploads"),
    path("uploads/<uuid:pk>/", tus.upload_detail, name="tus-upload"),
    *(_token_guarded(p) for p in _operations if p.name != "api-root"),
    # Anything else under /api/v1/ (an id that is not one, a path that is no route) is the
    # API's JSON 404 too, never the site's HTML page.
    re_path(r"^", views.not_found, name="not-found"),
]
