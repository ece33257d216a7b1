import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from waystation.core.access import public
from waystation.core.keys import Purpose, open_text, seal_text
from waystation.core.spreadsheets.web import discard_all as discard_imports

from . import second_factor as sf
from . import services, signin
from .forms import (
    CodeForm,
    EnrolForm,
    InviteForm,
    PasswordChangeForm,
    RolesForm,
    SetPasswordForm,
    SignInForm,
)
from .models import Invite, User
from .policy import Perm, can, get_for, requires
from .selectors import open_invites_for, users_for
from .throttle import (
    BROWSER_COOKIE,
    new_browser_token,
    throttle_state,
    valid_browser_token,
)

_BACKEND = "waystation.accounts.backends.MemberBackend"
_PENDING_SECONDS = 300


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _throttled_message(minutes: int) -> str:
    return ngettext(
        "Too many failed attempts. Try again in %(minutes)d minute.",
        "Too many failed attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _browser(request) -> str:
    """This browser's sign-in token (accounts/throttle.py): the cookie's, or a new one that
    ``_keep_browser`` sends back."""
    token = valid_browser_token(request.COOKIES.get(BROWSER_COOKIE))
    if not token:
        token = getattr(request, "_new_browser", "") or new_browser_token()
        request._new_browser = token
    return token


def _keep_browser(request, response):
    token = getattr(request, "_new_browser", "")
    if token:
        response.set_cookie(
            BROWSER_COOKIE,
            token,
            max_age=365 * 24 * 3600,
            path=reverse("accounts:login"),  # sent to the sign-in pages and nowhere else
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Strict",
        )
    return response


def _finish_sign_in(request, user, *, second_factor: bool):
    next_url = request.session.get("pending_next") or _safe_next(request)
    login(request, user, backend=_BACKEND)
    signin.sign_in_completed(
        user=user, second_factor=second_factor, browser=_browser(request)
    )
    return _keep_browser(request, redirect(next_url))


@public
def sign_in(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    _browser(request)
    return _keep_browser(request, _sign_in(request))


def _sign_in(request):
    form = SignInForm(request.POST or None)
    # A refused sign-in is not a success: 400 for a form left incomplete, 401 for a wrong
    # password, 429 while throttled (the page with its errors is shown all the same).
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        result = signin.password_sign_in(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            browser=_browser(request),
        )
        if result.outcome is signin.SignIn.THROTTLED:
            form.add_error(None, _throttled_message(result.minutes_left))
            status = 429
        elif result.outcome is signin.SignIn.WRONG:
            form.add_error(None, _("Wrong username or password."))
            status = 401
        elif result.user.has_totp:
            request.session.cycle_key()
            request.session["pending_user"] = result.user.pk
            request.session["pending_at"] = int(time.time())
            request.session["pending_next"] = _safe_next(request)
            return redirect("accounts:sign_in_code")
        else:
            return _finish_sign_in(request, result.user, second_factor=False)
    return render(
        request,
        "accounts/sign_in.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status,
    )


def _pending_user(request) -> User | None:
    pk, at = request.session.get("pending_user"), request.session.get("pending_at", 0)
    if pk is None or time.time() - at > _PENDING_SECONDS:
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


@public
def sign_in_code(request):
    user = _pending_user(request)
    if user is None:
        messages.info(request, _("Please sign in again."))
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = throttle_state(user.username, _browser(request))
        if not throttled.locked and sf.second_factor_check(
            user=user, code=form.cleaned_data["code"]
        ):
            for key in ("pending_user", "pending_at"):
                request.session.pop(key, None)
            response = _finish_sign_in(request, user, second_factor=True)
            request.session.pop("pending_next", None)
            return response
        result = (
            signin.SignInResult(signin.SignIn.THROTTLED, minutes_left=throttled.minutes_left)
            if throttled.locked
            else signin.second_factor_failed(username=user.username, browser=_browser(request))
        )
        if result.outcome is signin.SignIn.THROTTLED:
            request.session.flush()
            messages.error(request, _throttled_message(result.minutes_left))
            return redirect("accounts:login")
        form.add_error("code", _("That code is not right. Codes change every 30 seconds."))
        return render(request, "accounts/sign_in_code.html", {"form": form}, status=401)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/sign_in_code.html", {"form": form}, status=status)


@require_POST
@requires(Perm.SIGNED_IN)
def sign_out(request):
    signin.signed_out(user=request.user)
    discard_imports(request.session)  # an upload or rejected rows nothing could reach after
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@requires(Perm.SIGNED_IN)
def account(request):
    user = request.user
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                actor=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            field = (
                "old_password" if getattr(error, "code", None) == "wrong_password" else "password1"
            )
            form.add_error(field, error)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password was changed."))
            return redirect("accounts:account")
    return render(
        request,
        "accounts/account.html",
        {
            "form": form,
            "recovery_codes_left": sf.recovery_codes_left(user) if user.has_totp else 0,
            "can_panic": can(user, Perm.PANIC),
        },
    )


@require_POST
@requires(Perm.SIGNED_IN)
def recovery_codes_renew(request):
    form = CodeForm(request.POST)
    codes = None
    if form.is_valid():
        codes = sf.recovery_codes_renew(actor=request.user, code=form.cleaned_data["code"])
    if codes is None:
        messages.error(request, _("That code is not right. No new recovery codes were made."))
        return redirect("accounts:account")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "renewed": True})


@requires(Perm.SIGNED_IN)
def totp_enrol(request):
    user = request.user
    if user.has_totp:
        messages.info(request, _("Your second factor is already set up."))
        return redirect("accounts:account")
    # The new secret waits in the session until confirmed, encrypted: on PostgreSQL the
    # session table is not, and a secret read there would be a second factor copied.
    context = f"totp-pending:{user.pk}"
    pending = request.session.get("totp_pending_secret") or ""
    secret = open_text(Purpose.SESSION_SECRETS, pending, context) or sf.new_totp_secret()
    request.session["totp_pending_secret"] = seal_text(Purpose.SESSION_SECRETS, secret, context)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = sf.totp_enrol(actor=user, secret=secret, code=form.cleaned_data["code"])
        if codes is not None:
            del request.session["totp_pending_secret"]
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
        form.add_error(
            "code",
            _(
                "That code does not match. Check that the time on your phone is right and "
                "enter the newest code."
            ),
        )
    uri = sf.provisioning_uri(user, secret)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(
        request,
        "accounts/totp_enrol.html",
        {"form": form, "qr_svg": sf.qr_svg(uri), "secret": grouped, "required": user.totp_required},
    )


@requires(Perm.USERS_MANAGE)
def users(request):
    return render(
        request,
        "accounts/users.html",
        {"users": users_for(request.user), "invites": open_invites_for(request.user)},
    )


@requires(Perm.USERS_MANAGE)
def invite_new(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invite, token = services.invite_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(
                "username" if getattr(error, "code", None) != "no_roles" else "roles", error
            )
        else:
            link = request.build_absolute_uri(reverse("accounts:invite_accept", args=[token]))
            return render(request, "accounts/invite_created.html", {"invite": invite, "link": link})
    return render(request, "accounts/invite_new.html", {"form": form})


@require_POST
@requires(Perm.USERS_MANAGE)
def invite_revoke(request, pk):
    invite = Invite.objects.filter(pk=pk, accepted_at__isnull=True, revoked_at__isnull=True).first()
    if invite is not None:
        services.invite_revoke(actor=request.user, invite=invite)
        messages.success(request, _("The invitation was revoked; its link no longer works."))
    return redirect("accounts:users")


@public
def invite_accept(request, token):
    invite = signin.invite_by_token(token)
    if invite is None:
        return render(request, "accounts/invite_invalid.html", status=410)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = signin.invite_accept(token=token, password=form.cleaned_data["password1"])
        except ValidationError as error:
            if getattr(error, "code", None) in ("invite_invalid", "username_taken"):
                return render(
                    request,
                    "accounts/invite_invalid.html",
                    {"reason": error.messages[0]},
                    status=410,
                )
            form.add_error("password1", error)
        else:
            login(request, user, backend=_BACKEND)
            signin.sign_in_completed(user=user, second_factor=False, browser=_browser(request))
            messages.success(request, _("Welcome to Waystation. Your account is ready."))
            return _keep_browser(request, redirect(settings.LOGIN_REDIRECT_URL))
    return render(request, "accounts/invite_accept.html", {"form": form, "invite": invite})


@requires(Perm.USERS_MANAGE)
def user_detail(request, pk):
    member = get_for(request.user, User.objects.all(), pk, Perm.USERS_MANAGE)
    form = RolesForm(request.POST or None, initial={"roles": sorted(member.roles)})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_roles(
                actor=request.user, user=member, roles=form.cleaned_data["roles"]
            )
        except ValidationError as error:
            form.add_error("roles", error)
        else:
            messages.success(request, _("Roles saved."))
            return redirect("accounts:user_detail", pk=member.pk)
    return render(request, "accounts/user_detail.html", {"member": member, "form": form})


@require_POST
@requires(Perm.USERS_MANAGE)
def user_action(request, pk, action):
    member = get_for(request.user, User.objects.all(), pk, Perm.USERS_MANAGE)
    done = {
        "deactivate": (services.user_deactivate, _("The account was deactivated.")),
        "reactivate": (services.user_reactivate, _("The account was reactivated.")),
        "reset-totp": (
            sf.totp_reset,
            _("The second factor was reset. They will set it up again at next sign-in."),
        ),
    }
    if action not in done:
        return redirect("accounts:user_detail", pk=member.pk)
    service, message = done[action]
    try:
        service(actor=request.user, user=member)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, message)
    return redirect("accounts:user_detail", pk=member.pk)
