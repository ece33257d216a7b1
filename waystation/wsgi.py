"""WSGI entry point. ``waystation serve`` runs it in waitress; any WSGI server can too."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waystation.settings")

application = get_wsgi_application()

from waystation.core.startup import NotReady, require_ready  # noqa: E402  (needs settings)

try:
    require_ready()
except NotReady as problem:
    raise ImproperlyConfigured(str(problem)) from None
