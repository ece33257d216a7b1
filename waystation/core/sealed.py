"""While sealed, the server answers with the unseal page (and the language switch) only.

This runs before the session, authentication and everything else that would need the database:
there are no keys to open it. Intake visitors get a neutral "temporarily unavailable" page that
says nothing about keys or unsealing.
"""

import logging

from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.i18n import set_language

from . import keyslots
from .keyring import KEYRING
from .startup import NotReady
from .unsealing import pending_migrations, try_unseal

logger = logging.getLogger(__name__)


class SealedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        KEYRING.notice_shredding()
        if not KEYRING.sealed:
            return self.get_response(request)
        language = translation.get_language_from_request(request)
        with translation.override(language):
            return _sealed_response(request, self.get_response)


def _sealed_response(request, get_response):
    path = request.path
    # An intake-only server has no unseal page: it is unsealed on its own terminal.
    if not settings.INTAKE_ONLY and path == reverse("unseal"):
        return _unseal_page(request)
    if path == reverse("set_language"):
        # Only sets a cookie. Called directly: the session and message layers below need
        # keys that a sealed server does not have.
        csrf = CsrfViewMiddleware(lambda r: None)
        csrf.process_request(request)
        refused = csrf.process_view(request, None, (), {})
        return refused or set_language(request)
    if path == "/" and not settings.INTAKE_ONLY:
        return redirect("unseal")
    return render(
        request, "core/unavailable.html", {"title": _("Temporarily unavailable")}, status=503
    )


def _unseal_page(request):
    # The CSRF middleware sits after this one in the chain; run its steps here.
    csrf = CsrfViewMiddleware(lambda r: None)
    csrf.process_request(request)
    error = ""
    if request.method == "POST":
        refused = csrf.process_view(request, None, (), {})
        if refused is not None:
            return refused
        passphrase = request.POST.get("passphrase", "")
        try:
            opened = bool(passphrase) and try_unseal(passphrase)
        except (NotReady, keyslots.KeySlotError) as problem:
            # The details (paths, chmod advice) are for the operator's log, not the page.
            logger.error("cannot unseal: %s", problem)
            error = _("The server cannot be unsealed; its operator must look at its log.")
        else:
            if opened and pending_migrations():
                KEYRING.drop()
                error = _(
                    "The database needs updating first: run `waystation migrate` on the "
                    "server, then unseal again."
                )
            elif opened:
                return redirect(settings.LOGIN_URL)
            else:
                error = _("Wrong passphrase.")
    status = 200 if not error else 403
    response = render(request, "core/unseal.html", {"error": error}, status=status)
    return csrf.process_response(request, response)
