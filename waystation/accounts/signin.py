"""The doors before there is an actor: signing in (a name and password under the throttle,
then the second factor), signing out, and accepting an invitation. Their guard is what is
typed — the password, the invitation's token — not a permission, which is why they are not in
``services`` (whose every function checks its actor's permission first). Each audit row is
written in a transaction of its own or of the change it describes."""

from dataclasses import dataclass
from enum import Enum

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.keys import Purpose, keyed_digest

from .models import Invite, User
from .throttle import throttle_register_failure, throttle_register_success, throttle_state


class SignIn(Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignIn
    user: User | None = None
    minutes_left: int = 0


def password_sign_in(*, username: str, password: str, browser: str = "") -> SignInResult:
    """Check a name and password under the throttle (``browser``: the sign-in cookie's token).
    The session is not yet signed in: the caller asks for the second factor first when the
    user has one."""
    state = throttle_state(username, browser)
    if state.locked:
        with transaction.atomic():
            record(Event.LOGIN_THROTTLED)
        return SignInResult(SignIn.THROTTLED, minutes_left=state.minutes_left)
    user = authenticate(username=username, password=password)
    if user is None:
        known = User.objects.filter(username__iexact=username.strip()).first()
        # An unknown name is recorded without it: the audit log holds no typed-in text.
        with transaction.atomic():
            record(Event.LOGIN_FAILED, obj=known)  # about that account, not done by it
        state = throttle_register_failure(username, browser)
        if state.locked:
            return SignInResult(SignIn.THROTTLED, minutes_left=state.minutes_left)
        return SignInResult(SignIn.WRONG)
    return SignInResult(SignIn.OK, user=user)


def second_factor_failed(*, username: str, browser: str = "") -> SignInResult:
    state = throttle_register_failure(username, browser)
    if state.locked:
        return SignInResult(SignIn.THROTTLED, minutes_left=state.minutes_left)
    return SignInResult(SignIn.WRONG)


def sign_in_completed(*, user: User, second_factor: bool, browser: str = "") -> None:
    throttle_register_success(user.username, browser)
    with transaction.atomic():
        record(Event.LOGIN_SUCCEEDED, actor=user, obj=user, data={"second_factor": second_factor})


def signed_out(*, user: User) -> None:
    with transaction.atomic():
        record(Event.LOGOUT, actor=user, obj=user)


def invite_by_token(token: str) -> Invite | None:
    """The invitation a link points to, if it can still be accepted."""
    invite = Invite.objects.filter(token_digest=keyed_digest(Purpose.INVITE_TOKENS, token)).first()
    return invite if invite is not None and invite.is_open else None


def invite_accept(*, token: str, password: str) -> User:
    """Create the account the invitation describes. Raises ValidationError, creating nothing,
    when the link is no longer valid, the password is weak or the name was taken meanwhile."""
    with transaction.atomic():
        invite = invite_by_token(token)
        if invite is None:
            raise ValidationError(
                _(
                    "This invitation link has expired or was already used. "
                    "Ask your coordinator for a new one."
                ),
                code="invite_invalid",
            )
        invite = Invite.objects.select_for_update().get(pk=invite.pk)
        if not invite.is_open:
            raise ValidationError(_("This invitation was already used."), code="invite_invalid")
        user = User(username=invite.username, display_name=invite.display_name)
        user.set_roles(invite.roles)
        validate_password(password, user)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise ValidationError(
                _(
                    "Someone took that username meanwhile. Ask your coordinator for a new "
                    "invitation."
                ),
                code="username_taken",
            ) from None
        invite.accepted_at, invite.accepted_user = timezone.now(), user
        invite.save(update_fields=["accepted_at", "accepted_user"])
        record(Event.INVITE_ACCEPTED, actor=user, obj=user, data={"invite": invite.pk})
    return user
