from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    """Every kind of audited event. Rows name ids and codes, never personal data."""

    LOGIN_SUCCEEDED = "login.succeeded", _("Signed in")
    LOGIN_FAILED = "login.failed", _("Sign-in failed")
    LOGIN_THROTTLED = "login.throttled", _("Sign-in blocked after repeated failures")
    LOGOUT = "logout", _("Signed out")
    SECOND_FACTOR_FAILED = "totp.failed", _("Wrong second-factor code")
    TOTP_ENROLLED = "totp.enrolled", _("Second factor enrolled")
    TOTP_RESET = "totp.reset", _("Second factor reset")
    RECOVERY_CODE_USED = "totp.recovery_used", _("Recovery code used")
    RECOVERY_CODES_RENEWED = "totp.recovery_renewed", _("New recovery codes made")
    PASSWORD_CHANGED = "password.changed", _("Password changed")
    USER_CREATED = "user.created", _("Account created")
    USER_INVITED = "user.invited", _("Invitation created")
    INVITE_REVOKED = "user.invite_revoked", _("Invitation revoked")
    INVITE_ACCEPTED = "user.invite_accepted", _("Invitation accepted")
    USER_ROLES_CHANGED = "user.roles_changed", _("Roles changed")
    USER_DEACTIVATED = "user.deactivated", _("Account deactivated")
    USER_REACTIVATED = "user.reactivated", _("Account reactivated")
    AUDIT_VERIFIED = "audit.verified", _("Audit log verified")
    OUTREACH_IMPORTED = "outreach.imported", _("Outreach spreadsheet imported")
    OUTREACH_EXPORTED = "outreach.exported", _("Outreach log exported")
    ORGANISATIONS_MERGED = "outreach.merged", _("Organisations merged")
    CASE_CREATED = "case.created", _("Case opened")
    CASE_UPDATED = "case.updated", _("Case details changed")
    CASE_ASSIGNED = "case.assigned", _("Case assigned")
    CASE_STATUS_CHANGED = "case.status", _("Case status recorded")
    RISK_RECORDED = "case.risk", _("Risk event recorded")
    IDENTITY_REVEALED = "identity.revealed", _("Identity revealed")
    IDENTITY_CHANGED = "identity.changed", _("Identity changed")
    CASE_EXPORTED = "case.exported", _("Case exported")
