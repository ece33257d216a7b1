from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from waystation.core.access import public
from waystation.core.panic import instance_state


def _error_page(request, title, message, status):
    # The portal has its own frame, with no link to anything of the staff side.
    intake = settings.INTAKE_ONLY or request.path.startswith("/intake/")
    template = "intake/error.html" if intake else "core/error.html"
    return render(request, template, {"title": title, "message": message}, status=status)


def csrf_failure(request, reason=""):
    return _error_page(
        request,
        _("The form expired"),
        _(
            "For your safety, forms stop working after a while or when cookies are blocked. "
            "Go back, reload the page and send it again."
        ),
        403,
    )


def permission_denied(request, exception=None):
    return _error_page(
        request,
        _("Not for your role"),
        _("Your role does not include this page. Ask a coordinator if you need it."),
        403,
    )


def page_not_found(request, exception=None):
    return _error_page(
        request, _("Not found"), _("There is nothing here, or it is not shared with you."), 404
    )


def server_error(request):
    return _error_page(
        request,
        _("Something went wrong"),
        _("The error was noted without any personal data. Try again in a moment."),
        500,
    )


@public
def unseal(request):
    """Reached only while unsealed (SealedMiddleware answers this path while sealed)."""
    return redirect(settings.LOGIN_URL)


HEALTH_PATH = "/healthz"


def healthz(request):
    """``sealed``, ``unsealed`` or ``panicked`` as plain text, and nothing else: no version, no
    counts, no cookie (answered by SealedMiddleware before the session and CSRF layers, so
    it works while sealed and sets nothing), no audit row, no log line. Not on the
    intake-only portal, which must not tell visitors what it runs (docs/operator.md)."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse(instance_state(), content_type="text/plain; charset=utf-8")
