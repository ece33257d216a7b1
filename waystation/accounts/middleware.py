import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import AuthenticationMiddleware, get_user
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

# Pages a signed-in user who still has to enrol a second factor may open.
_ENROLMENT_PATHS = ("accounts:totp_enrol", "accounts:logout", "set_language")


class SignedInMemberMiddleware(AuthenticationMiddleware):
    """Django's authentication, with the member read at once instead of behind a lazy object.
    Every staff page needs him (the idle timeout, the sign-in requirement, the policy), so the
    laziness saved nothing, and each of the few hundred reads of ``request.user`` a page makes
    (roles, permission checks, the template) went through the proxy: about 280 of the 5,600
    Python calls of a dashboard (its time saved was within the noise: docs/performance.md).
    Where no one is signed in this is the anonymous user, read without a query."""

    def process_request(self, request):
        super().process_request(request)
        request.user = get_user(request)


class SessionIdleTimeoutMiddleware:
    """Sign out after WAYSTATION_SESSION_IDLE_MINUTES without a request. The timestamp is
    written at most once a minute, so reading pages does not mean writing the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get("last_seen", now)
            if now - last_seen > settings.SESSION_IDLE_SECONDS:
                logout(request)
                messages.info(request, _("You were signed out after a period of inactivity."))
                return redirect(settings.LOGIN_URL)
            if now - last_seen >= 60 or "last_seen" not in request.session:
                request.session["last_seen"] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """Members whose role requires a second factor can do nothing else until they enrol one."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed = None

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.totp_required and not user.has_totp:
            if self._allowed is None:
                self._allowed = {reverse(name) for name in _ENROLMENT_PATHS}
            if request.path not in self._allowed and not request.path.startswith(
                settings.STATIC_URL
            ):
                return redirect("accounts:totp_enrol")
        return self.get_response(request)
