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
from django.utils.translation import ngettext
from django.views.i18n import set_language

from . import keyslots
from .keyring import KEYRING
from .startup import NotReady
from .unsealing import UnsealBusy, UnsealPaused, pending_migrations, try_unseal_from_page
from .views import HEALTH_PATH, healthz

logger = logging.getLogger(__name__)


class SealedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        KEYRING.notice_shredding()
        if request.path == HEALTH_PATH and not settings.INTAKE_ONLY:
            return healthz(request)  # sealed or not; before the session: no cookie
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
    title = _("Temporarily unavailable")
    if settings.INTAKE_ONLY:
        # The portal's own frame: the staff frame links to staff pages (which the portal's
        # URLs do not have) and names Waystation, which a visitor must not learn.
        message = _("This service is not available at the moment. Please try again later.")
        context = {"title": title, "message": message}
        return render(request, "intake/error.html", context, status=503)
    return render(request, "core/unavailable.html", {"title": title}, status=503)


def _unseal_page(request):
    # The CSRF middleware sits after this one in the chain; run its steps here.
    csrf = CsrfViewMiddleware(lambda r: None)
    csrf.process_request(request)
    error, status = "", 200
    if request.method == "POST":
        refused = csrf.process_view(request, None, (), {})
        if refused is not None:
            return refused
        error, status = _unseal_attempt(request.POST.get("passphrase", ""))
        if not error:
            return redirect(settings.LOGIN_URL)
    response = render(request, "core/unseal.html", {"error": error}, status=status)
    return csrf.process_response(request, response)


def _unseal_attempt(passphrase: str) -> tuple[str, int]:
    """("", 200) when the passphrase unsealed the server, else what to say and the status."""
    try:
        opened = bool(passphrase) and try_unseal_from_page(passphrase)
    except UnsealBusy:
        return _("Another passphrase is being checked right now. Try again in a moment."), 429
    except UnsealPaused as pause:
        message = ngettext(
            "Wrong passphrases were entered before. Wait %(seconds)d second, then try again.",
            "Wrong passphrases were entered before. Wait %(seconds)d seconds, then try again.",
            pause.seconds,
        )
        return message % {"seconds": pause.seconds}, 429
    except (NotReady, keyslots.KeySlotError) as problem:
        # The details (paths, chmod advice) are for the operator's log, not the page.
        logger.error("cannot unseal: %s", problem)
        return _("The server cannot be unsealed; its operator must look at its log."), 403
    if opened and pending_migrations():
        KEYRING.drop()
        return _(
            "The database needs updating first: run `waystation migrate` on the server, then "
            "unseal again."
        ), 403
    if opened:
        return "", 200
    return _("Wrong passphrase."), 403
