"""A sealed instance answers every API call with a JSON 503: clients of the API read JSON, and
the unseal page is for a person at a browser. Placed before core's SealedMiddleware, which
answers everything else."""

from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from waystation.core.keyring import KEYRING

API_PREFIX = "/api/"


class SealedApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        KEYRING.notice_shredding()
        if not KEYRING.sealed:
            return self.get_response(request)
        with translation.override(translation.get_language_from_request(request)):
            response = JsonResponse({"detail": _("Temporarily unavailable.")}, status=503)
        response["Retry-After"] = "60"
        return response
