"""Who calls the API: a personal access token in ``Authorization: Bearer <token>``, nothing else.

There is no session authentication on the API, on purpose: a browser's session cookie is sent
by the browser on its own, so an API that accepted it would be a second set of doors into every
service, reachable from any page the member has open, without the CSRF check the forms carry,
without a scope and without a limit. A token is typed into a tool by the member; it names what
it may do (its scopes), runs out, is revoked on its own, and each use is audited.

A call is allowed what both the token's scopes and the member's permissions of the moment allow:
``require_scope`` refuses (403) otherwise, and every operation calls it (``scoped``) before its
service or selector, which checks the member's permission again (the second lock).
"""

from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja.errors import AuthenticationError, AuthorizationError, Throttled
from ninja.security import HttpBearer

from waystation.accounts.policy import Perm, permissions_of
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.keys import Purpose, keyed_digest

from .models import Token

TOKEN_PREFIX = "wst_"  # noqa: S105 - the visible prefix of every token, not a secret
_WINDOW = timedelta(minutes=1)


def token_digest(raw: str) -> str:
    """The keyed digest a token is stored and looked up by."""
    return keyed_digest(Purpose.API_TOKENS, raw)


def _token_for(raw: str) -> Token | None:
    """The active token ``raw`` is, of an active member; None for anything else."""
    raw = raw.strip()
    if not raw.startswith(TOKEN_PREFIX) or not 40 <= len(raw) <= 80:
        return None
    # get(), not first(): the digest is unique, and first() orders by the key, which Django
    # compiles anew for every call (a tus upload calls once per PATCH).
    try:
        token = Token.objects.select_related("user").get(digest=token_digest(raw))
    except Token.DoesNotExist:
        return None
    if not token.is_active or not token.user.is_active:
        return None
    return token


def _note_use(token: Token) -> None:
    """Count the call in the token's one-minute window, refusing it (429) over the limit.
    The first call of a window writes the audit row, as a sign-in does: one row per token per
    minute at most, however many calls it makes.

    Most calls fall inside a window already begun and under the limit: they are counted by one
    conditional UPDATE (atomic in the database, so the count stays exact with several threads
    or servers), without a transaction of their own. Only the first call of a window, and a
    call that finds the limit reached, take the row's lock below (a tus upload sends a call
    per PATCH: this was a transaction, a read and a write for each)."""
    now = timezone.now()
    limit = settings.API_CALLS_PER_MINUTE
    counted = Token.objects.filter(
        pk=token.pk, window_started_at__gt=now - _WINDOW, window_calls__lt=limit
    ).update(window_calls=F("window_calls") + 1, last_used_at=now)
    if counted:
        token.last_used_at = now
        return
    with transaction.atomic():
        row = Token.objects.select_for_update().get(pk=token.pk)
        started = row.window_started_at
        if started is None or now - started >= _WINDOW:
            row.window_started_at, row.window_calls = now, 1
            record(Event.API_TOKEN_USED, actor=token.user, obj=row, data={"token": row.pk})
        elif row.window_calls >= limit:
            wait = int((started + _WINDOW - now).total_seconds()) + 1
            raise Throttled(wait=wait)
        else:
            row.window_calls += 1
        row.last_used_at = now
        row.save(update_fields=["window_started_at", "window_calls", "last_used_at"])
    token.last_used_at = now


def _bearer(request: HttpRequest) -> str | None:
    value = request.headers.get("Authorization", "")
    scheme, _sep, raw = value.partition(" ")
    return raw if scheme.lower() == "bearer" and raw else None


def _accept(request: HttpRequest, token: Token) -> Token:
    _note_use(token)
    request.user = token.user
    request.auth = token
    return token


def authenticate_request(request: HttpRequest) -> Token | None:
    """For views outside ninja (the tus uploads): the request's token, counted, audited and
    set as ``request.auth`` (its member as ``request.user``); None without a valid token.
    Raises ``Throttled`` over the token's rate limit."""
    raw = _bearer(request)
    token = _token_for(raw) if raw else None
    return _accept(request, token) if token is not None else None


class TokenAuth(HttpBearer):
    """The API's one authentication: a personal access token as a bearer token."""

    def authenticate(self, request, token):
        found = _token_for(token)
        return _accept(request, found) if found is not None else None


token_auth = TokenAuth()


def granted(request: HttpRequest) -> frozenset:
    """What the call may do: the token's scopes within the member's permissions now."""
    token = getattr(request, "auth", None)
    if not isinstance(token, Token):
        return frozenset()
    # Every token may say whose it is (/me/): "signed_in" is implied, the rest is chosen.
    chosen = {Perm(s) for s in token.scopes if s in Perm._value2member_map_} | {Perm.SIGNED_IN}
    return frozenset(chosen) & permissions_of(token.user)


def require_scope(request: HttpRequest, perm: Perm) -> None:
    """Refuse (403) unless the token's scopes and its member's roles both allow ``perm``."""
    if perm not in granted(request):
        raise AuthorizationError(
            message=_("This token or your role does not allow this (%(perm)s).")
            % {"perm": perm.value}
        )


def scoped(perm: Perm):
    """An API operation that needs ``perm`` in the token's scope: checked before the body."""

    def decorate(func):
        @wraps(func)
        def operation(request, *args, **kwargs):
            require_scope(request, perm)
            return func(request, *args, **kwargs)

        operation.waystation_scope = perm
        return operation

    return decorate


def token_view(perm: Perm):
    """A plain Django view of the API (outside ninja) reached with a token holding ``perm``:
    no session, no CSRF (nothing a browser sends on its own authenticates it), 401 without a
    valid token, 403 outside its scope, 429 over the rate limit, JSON errors."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            try:
                token = authenticate_request(request)
                if token is None:
                    raise AuthenticationError()
                require_scope(request, perm)
            except Throttled as refused:
                response = JsonResponse({"detail": str(refused)}, status=429)
                response["Retry-After"] = str(refused.wait)
                return response
            except (AuthenticationError, AuthorizationError) as refused:
                return JsonResponse({"detail": str(refused)}, status=refused.status_code)
            return view(request, *args, **kwargs)

        mark_api_view(guarded, perm)
        return csrf_exempt(guarded)

    return decorate


def mark_api_view(view, perm: Perm = Perm.SIGNED_IN):
    """Mark a view as the API's: no sign-in page (it answers 401 itself), guarded by a token
    (``waystation_api``), and by ``perm`` for the walk that checks every view is guarded."""
    login_not_required(view)
    view.waystation_api = True
    view.waystation_permission = perm
    return view
