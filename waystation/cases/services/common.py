"""The cases' refusals, the reasons to read an identity, and the checks every case service
shares."""


from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waystation.accounts.policy import Perm, Side, case_sides, check
from waystation.accounts.roles import Role
from waystation.core.refusals import NotVisible

from .. import codenames
from ..errors import CaseError, CaseTransferred  # noqa: F401
from ..errors import require_open as _require_open
from ..models import (
    Case,
    Tag,
)


class NothingChanged(CaseError):
    """The write would change nothing: nothing was written, nothing audited."""


class CaseAccessDenied(NotVisible):
    """The actor does not hold this side of this case. Views answer 404, as for a missing case."""


class RevealReason:
    """Why someone opens the identity vault. Codes, so the audit row holds no free text."""

    CONTACT = "contact"
    LEGAL = "legal"
    DOCUMENTS = "documents"
    SAFETY = "safety"
    RECORD = "record"

    # Lazy: a class body runs once, at import, in no reader's language.
    CHOICES = (
        (CONTACT, gettext_lazy("To contact or visit the person")),
        (LEGAL, gettext_lazy("For a court, lawyer or authority")),
        (DOCUMENTS, gettext_lazy("For a document or visa application")),
        (SAFETY, gettext_lazy("To check the person's safety")),
        (RECORD, gettext_lazy("To correct the identity record")),
    )
    CODES = frozenset(code for code, _label in CHOICES)


def require_side(actor, case: Case, side: Side) -> None:
    """Refuse unless ``actor`` holds ``side`` of ``case``: 403 for whoever may open no case at
    all, 404 (``CaseAccessDenied``) for a case the actor may not open, as for a missing one."""
    check(actor, Perm.CASES_VIEW)
    if side not in case_sides(actor, case):
        raise CaseAccessDenied(case.pk)


def require_writable(actor, case: Case, side: Side) -> None:
    """``require_side`` for a change: also refused once the case was transferred."""
    require_side(actor, case, side)
    _require_open(case)


def _touch(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())


def _check_assignees(caseworker, lawyer) -> None:
    if caseworker is not None and (
        not caseworker.is_active or Role.CASEWORKER not in caseworker.roles
    ):
        raise CaseError(_("The caseworker must be an active member with the caseworker role."))
    if lawyer is not None and (not lawyer.is_active or Role.LAWYER not in lawyer.roles):
        raise CaseError(_("The lawyer must be an active member with the lawyer role."))


def _set_tags(case: Case, tag_names) -> None:
    names = sorted({" ".join(name.lower().split()) for name in tag_names if name.strip()})
    tags = [Tag.objects.get_or_create(name=name[:40])[0] for name in names]
    case.tags.set(tags)


def _unique_codename(requested: str | None) -> str:
    if requested:
        codename = codenames.normalise(requested)
        if not codenames.CODENAME.match(codename) or len(codename) > 40:
            raise CaseError(
                _(
                    "A codename is Latin letters in words joined by hyphens, usually ending in "
                    "a number, for example amber-falcon-27."
                )
            )
        if Case.objects.filter(codename=codename).exists():
            raise CaseError(_("This codename is taken. Choose another or leave it empty."))
        return codename
    for _attempt in range(50):
        codename = codenames.generate()
        if not Case.objects.filter(codename=codename).exists():
            return codename
    raise CaseError(_("No free codename was found. Try again."))
