from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waystation.core.fields import EncryptedTextField

from .roles import Role


class UserManager(BaseUserManager):
    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)

    def create_user(self, username, password=None, *, roles=(), **fields):
        user = self.model(username=username, **fields)
        user.set_roles(roles)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def with_role(self, role: str):
        return self.filter(role_codes__contains=f" {role} ")


class User(AbstractBaseUser):
    """A member of the group. People seeking help never get an account."""

    username = models.CharField(
        _("username"),
        max_length=64,
        unique=True,
        help_text=_("Letters, digits and . _ - only. Not a real name: use a nickname."),
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Encrypted in the application (bound to this row); a database copy does not yield it.
    totp_secret = EncryptedTextField(editable=False)
    # The roles, space-delimited (" caseworker lawyer "): read with the user on every request,
    # so checking a permission costs no query. Changed only by the account services.
    role_codes = models.CharField(max_length=255, blank=True, default="", editable=False)
    # The last TOTP time step accepted, so that a code cannot be used twice.
    totp_last_step = models.BigIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def __str__(self):
        return self.display_name or self.username

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.role_codes.split())

    def set_roles(self, roles) -> None:
        codes = sorted(set(roles))
        self.role_codes = f" {' '.join(codes)} " if codes else ""

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret)

    @property
    def totp_required(self) -> bool:
        return bool(self.roles & settings.TOTP_REQUIRED_ROLES)

    def role_labels(self) -> list[str]:
        return [label for value, label in Role.choices if value in self.roles]


class Invite(models.Model):
    """A one-time link a coordinator hands to a new member. Only a keyed digest of the token is
    stored, so a copy of the database cannot be used to accept invitations."""

    token_digest = models.CharField(max_length=64, unique=True)
    username = models.CharField(max_length=64)
    display_name = models.CharField(max_length=100, blank=True)
    roles = models.JSONField(default=list)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self):
        return f"@{self.username}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class RecoveryCode(models.Model):
    """Single-use codes for when the authenticator is lost. Stored as keyed digests: the codes
    are long random strings, so a keyed hash is as strong as a slow one and costs nothing."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "digest"], name="accounts_recovery_unique"),
        ]

    def __str__(self):
        return f"recovery code {self.pk}"


class LoginThrottle(models.Model):
    """Failed sign-in attempts per name and browser, per name, per browser and overall
    (accounts/throttle.py). Names and browsers are kept only inside keyed digests and no client
    address is stored, so the table says nothing about who tried."""

    key_digest = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    # The latest failure (back-off rows) or the start of the hour (the overall row).
    window_started_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    # A name + browser row whose browser has signed in as that name.
    known = models.BooleanField(default=False)

    def __str__(self):
        return f"throttle {self.pk}"
