"""The one permission policy of Waystation.

Read this file to know who may do what. ``PERMISSIONS`` maps each role to what it may do; a user
holding several roles gets the union. ``OBJECT_RULES`` narrows querysets to the rows a user may
see. Everything not granted here is refused (fail closed): an unknown permission, a model without
an object rule, an inactive or anonymous user.

Views use ``@requires(Perm.X)``; object lookups use ``get_for(...)``, which answers the same 404
for a row that does not exist and for one the user may not see.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from waystation.core.refusals import Forbidden

from .roles import Role


class Perm(StrEnum):
    SIGNED_IN = "signed_in"  # anything any active member may do: own account, sign out
    DASHBOARD_VIEW = "dashboard.view"
    USERS_MANAGE = "users.manage"  # invite, change roles, deactivate, reset second factor
    AUDIT_VIEW = "audit.view"
    PANIC = "instance.panic"  # destroy the keys: all data becomes unreadable for ever
    OUTREACH_VIEW = "outreach.view"  # the directory, the log, the statistics
    OUTREACH_EDIT = "outreach.edit"  # record approaches and responses, import, export, merge
    OUTREACH_DIGEST = "outreach.digest"  # the weekly digest of follow-ups
    OUTREACH_IMPORTS_ALL = "outreach.imports_all"  # follow anyone's background import
    CASES_VIEW = "cases.view"  # open the cases the object rule lets through
    CASES_MANAGE = "cases.manage"  # open cases, assign caseworkers and lawyers, see every case
    INTAKE_TRIAGE = "intake.triage"  # read anonymous requests, answer them, turn them into cases
    # The anonymous portal's own actor (intake.services.PORTAL): send a request, reply, delete
    # it. Granted to no role: a member never writes as a requester.
    INTAKE_SUBMIT = "intake.submit"
    EVIDENCE_VIEW = "evidence.view"  # testimonies and items of the cases the rule lets through
    EVIDENCE_EDIT = "evidence.edit"  # take testimonies, ingest items, record events, verify
    EVIDENCE_EXPORT = "evidence.export"  # build packages for investigators
    PATHWAYS_VIEW = "pathways.view"  # read the pathway catalogue, propose corrections to it
    PATHWAYS_REVIEW = "pathways.review"  # accept or decline proposed corrections
    DOSSIER_BUILD = "dossier.build"  # a case's dossier for an application, as PDF or ZIP
    DOSSIER_IDENTITY = "dossier.identity"  # put the identity (legal name…) into such a dossier
    LEDGER_VIEW = "ledger.view"  # balances, the journal, reports, receipts, exports
    LEDGER_RECORD = "ledger.record"  # funds, accounts, donations, disbursements, rates, counts
    LEDGER_APPROVE = "ledger.approve"  # approve others' disbursements above the threshold
    KNOWLEDGE_VIEW = "knowledge.view"  # read safety pages and country notes, export them offline
    KNOWLEDGE_EDIT = "knowledge.edit"  # write and revise them, make them public, mark reviewed
    SCREENING_STATE = "screening.state"  # a case's screening state and outcome, nothing more
    SCREENING_VIEW = "screening.view"  # the whole screening record: interview, concerns, notes
    SCREENING_EDIT = "screening.edit"  # interview, concerns, assessment; propose and confirm
    SCREENING_RESOLVE = "screening.resolve"  # settle disagreements, reopen, clear an export
    # Add and revoke partner groups (after comparing their card's fingerprint), import the
    # packages they send, accept or decline them.
    PARTNERS_MANAGE = "partners.manage"
    PARTNERS_SEND = "partners.send"  # send a case's referral or transfer to a partner group


_MEMBER = frozenset({Perm.SIGNED_IN, Perm.DASHBOARD_VIEW, Perm.KNOWLEDGE_VIEW})

PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.COORDINATOR: _MEMBER
    | {
        Perm.USERS_MANAGE,
        Perm.AUDIT_VIEW,
        Perm.PANIC,
        Perm.OUTREACH_VIEW,
        Perm.OUTREACH_EDIT,
        Perm.OUTREACH_DIGEST,
        Perm.OUTREACH_IMPORTS_ALL,
        Perm.CASES_VIEW,
        Perm.CASES_MANAGE,
        Perm.INTAKE_TRIAGE,
        Perm.EVIDENCE_VIEW,
        Perm.EVIDENCE_EDIT,
        Perm.EVIDENCE_EXPORT,
        Perm.PATHWAYS_VIEW,
        Perm.PATHWAYS_REVIEW,
        Perm.DOSSIER_BUILD,
        Perm.DOSSIER_IDENTITY,
        Perm.KNOWLEDGE_EDIT,
        Perm.LEDGER_VIEW,
        Perm.LEDGER_APPROVE,
        Perm.SCREENING_STATE,
        Perm.SCREENING_VIEW,
        Perm.SCREENING_RESOLVE,
        Perm.PARTNERS_MANAGE,
        Perm.PARTNERS_SEND,
    },
    Role.CASEWORKER: _MEMBER
    | {
        Perm.OUTREACH_VIEW,
        Perm.CASES_VIEW,
        Perm.EVIDENCE_VIEW,
        Perm.PATHWAYS_VIEW,
        Perm.DOSSIER_BUILD,
        Perm.SCREENING_STATE,
    },
    # A dossier with the identity goes to an authority: the lawyer who files the application,
    # or a coordinator, decides that; a caseworker's dossier carries the codename only.
    Role.LAWYER: _MEMBER
    | {
        Perm.OUTREACH_VIEW,
        Perm.CASES_VIEW,
        Perm.EVIDENCE_VIEW,
        Perm.PATHWAYS_VIEW,
        Perm.DOSSIER_BUILD,
        Perm.DOSSIER_IDENTITY,
        Perm.SCREENING_STATE,
    },
    Role.DOCUMENTATION_OFFICER: _MEMBER
    | {Perm.EVIDENCE_VIEW, Perm.EVIDENCE_EDIT, Perm.EVIDENCE_EXPORT, Perm.PATHWAYS_VIEW},
    # Screeners interview and decide, always two of them; coordinators read the record,
    # settle disagreements and confirm exports. Those who see a case see its screening state.
    Role.SCREENER: _MEMBER | {Perm.SCREENING_STATE, Perm.SCREENING_VIEW, Perm.SCREENING_EDIT},
    Role.TREASURER: _MEMBER | {Perm.LEDGER_VIEW, Perm.LEDGER_RECORD, Perm.LEDGER_APPROVE},
}


@dataclass(frozen=True)
class SystemActor:
    """Who acts when no member does: a command typed by the operator on the server, a scheduled
    task. It holds exactly the permissions it is given, on purpose, where it is made (never
    "everything"); ``None`` is never an actor. Audit rows name it by ``name`` with no member."""

    name: str
    grants: frozenset = frozenset()
    # The sides of a case it holds (``Side``), given where it is made like its grants; a
    # system actor holding a permission sees every row of it (``visible``): it acts for the
    # instance, on the server, at the operator's command.
    sides: frozenset = frozenset()
    pk = None
    id = None
    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False
    is_system = True  # audit.record names it in the row's data, with no member
    roles = ()

    def __str__(self) -> str:
        return f"system:{self.name}"


def system_actor(name: str, *perms: "Perm", sides=()) -> SystemActor:
    """The actor of one command or task, holding only ``perms`` (and ``sides`` of cases)."""
    return SystemActor(name=name, grants=frozenset(perms), sides=frozenset(sides))


def member(actor):
    """The member behind ``actor`` for the columns that name who did something (recorded by,
    author, imported by): the member, or None for a system actor, whose name the audit row
    carries."""
    return None if isinstance(actor, SystemActor) else actor


def permissions_of(user) -> frozenset[Perm]:
    if isinstance(user, SystemActor):
        return user.grants
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    granted = {Perm.SIGNED_IN}
    for role in user.roles:
        granted |= PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def can(user, perm: Perm) -> bool:
    return perm in permissions_of(user)


def check(actor, perm: Perm) -> None:
    """The second lock, called first in every public service: refuse (403) unless ``actor``
    holds ``perm``. ``None``, anonymous and inactive actors hold nothing (fail closed)."""
    if not can(actor, perm):
        raise Forbidden(perm.value)


def _users_visible(user, queryset: QuerySet) -> QuerySet:
    return queryset if can(user, Perm.USERS_MANAGE) else queryset.none()


def _intake_visible(user, queryset: QuerySet) -> QuerySet:
    return queryset if can(user, Perm.INTAKE_TRIAGE) else queryset.none()


def _audit_visible(user, queryset: QuerySet) -> QuerySet:
    return queryset if can(user, Perm.AUDIT_VIEW) else queryset.none()


def _outreach_visible(user, queryset: QuerySet) -> QuerySet:
    return queryset if can(user, Perm.OUTREACH_VIEW) else queryset.none()


def _digests_visible(user, queryset: QuerySet) -> QuerySet:
    return queryset if can(user, Perm.OUTREACH_DIGEST) else queryset.none()


def _import_jobs_visible(user, queryset: QuerySet) -> QuerySet:
    """A background import's page: for whoever started it, and for coordinators."""
    if can(user, Perm.OUTREACH_IMPORTS_ALL):
        return queryset
    return queryset.filter(started_by=user)


class Side(StrEnum):
    """The parts of one case. A case page, export or list shows only the sides a user holds."""

    CARE = "care"  # family, needs and services, every note
    LEGAL = "legal"  # timeline, risk events, documents, tasks, notes marked for the lawyer
    IDENTITY = "identity"  # the identity vault: reveal and edit, each read audited
    MANAGE = "manage"  # assignment, codename, the case's basic facts


# What each role holds of a case. A coordinator holds every side of every case; a caseworker
# and a lawyer hold their sides only of the cases assigned to them as such. Treasurers,
# screeners and documentation officers hold nothing here (treasurers never see identities).
CASE_SIDES: dict[str, frozenset[Side]] = {
    Role.COORDINATOR: frozenset(Side),
    Role.CASEWORKER: frozenset({Side.CARE, Side.LEGAL, Side.IDENTITY}),
    Role.LAWYER: frozenset({Side.LEGAL, Side.IDENTITY}),
}
# The case field naming the user a role's sides depend on (None: every case).
_ASSIGNED_AS = {Role.COORDINATOR: None, Role.CASEWORKER: "caseworker", Role.LAWYER: "lawyer"}


def case_sides(user, case) -> frozenset[Side]:
    """The sides of ``case`` that ``user`` holds; empty for everyone not assigned to it."""
    if not can(user, Perm.CASES_VIEW):
        return frozenset()
    if isinstance(user, SystemActor):
        return user.sides
    held: set[Side] = set()
    for role in user.roles:
        sides = CASE_SIDES.get(role)
        if sides is None:
            continue
        field = _ASSIGNED_AS[role]
        if field is None or getattr(case, f"{field}_id") == user.pk:
            held |= sides
    return frozenset(held)


def may_hold_side(user, side: Side) -> bool:
    """Whether any case could show ``user`` this side: what lists and filters may mention."""
    if not can(user, Perm.CASES_VIEW):
        return False
    return any(side in CASE_SIDES.get(role, ()) for role in user.roles)


def _case_filter(user, prefix: str = "") -> Q | None:
    """The cases a user may open, as a filter; None for all of them."""
    if not can(user, Perm.CASES_VIEW):
        return Q(pk__in=[])
    allowed = Q(pk__in=[])
    for role in user.roles:
        if role not in _ASSIGNED_AS:
            continue
        field = _ASSIGNED_AS[role]
        if field is None:
            return None
        allowed |= Q(**{f"{prefix}{field}": user})
    return allowed


def _cases_visible(user, queryset: QuerySet) -> QuerySet:
    allowed = _case_filter(user)
    return queryset if allowed is None else queryset.filter(allowed)


def _case_parts_visible(user, queryset: QuerySet) -> QuerySet:
    allowed = _case_filter(user, "case__")
    return queryset if allowed is None else queryset.filter(allowed)


def _notes_visible(user, queryset: QuerySet) -> QuerySet:
    """Notes follow their case, except that a case's lawyer reads only the notes marked for the
    lawyer (the legal side); the care side stays with the caseworker."""
    allowed = _case_filter(user, "case__")
    if allowed is None:
        return queryset
    if Role.LAWYER in user.roles:
        allowed = Q(case__lawyer=user, legal=True)
        if Role.CASEWORKER in user.roles:
            allowed |= Q(case__caseworker=user)
    return queryset.filter(allowed)


def _evidence_case_filter(user, prefix: str) -> Q | None:
    """Documentation officers and coordinators see all testimonies and items; a caseworker or
    lawyer only those of the cases assigned to them; everyone else none."""
    if not can(user, Perm.EVIDENCE_VIEW):
        return Q(pk__in=[])
    if can(user, Perm.EVIDENCE_EDIT):
        return None
    return _case_filter(user, prefix)


def _evidence_visible(user, queryset: QuerySet) -> QuerySet:
    allowed = _evidence_case_filter(user, "case__")
    return queryset if allowed is None else queryset.filter(allowed)


def _evidence_parts_visible(user, queryset: QuerySet) -> QuerySet:
    """Custody entries and chat messages follow their item."""
    allowed = _evidence_case_filter(user, "item__case__")
    return queryset if allowed is None else queryset.filter(allowed)


def _events_visible(user, queryset: QuerySet) -> QuerySet:
    """Events link testimonies across cases: only those who document see them."""
    return queryset if can(user, Perm.EVIDENCE_EDIT) else queryset.none()


def _screening_visible(user, queryset: QuerySet) -> QuerySet:
    """The screening record (interview, concerns, notes, decisions) is for screeners and
    coordinators only; the case page shows the others the state through its own selector."""
    return queryset if can(user, Perm.SCREENING_VIEW) else queryset.none()


def _knowledge_visible(user, queryset: QuerySet) -> QuerySet:
    """Every member reads every safety page, public or not; the anonymous portal reads the
    public ones through its own selector, never through this rule."""
    return queryset if can(user, Perm.KNOWLEDGE_VIEW) else queryset.none()


def _pathway_proposals_visible(user, queryset: QuerySet) -> QuerySet:
    """Coordinators review every proposed correction; everyone else sees their own."""
    if can(user, Perm.PATHWAYS_REVIEW):
        return queryset
    return queryset.filter(author=user)


def _ledger_visible(user, queryset: QuerySet) -> QuerySet:
    """Treasurers and coordinators see the whole ledger; it names cases by codename only."""
    return queryset if can(user, Perm.LEDGER_VIEW) else queryset.none()


def _partners_visible(user, queryset: QuerySet) -> QuerySet:
    """Partner groups: for those who manage them and those who send to them."""
    allowed = can(user, Perm.PARTNERS_MANAGE) or can(user, Perm.PARTNERS_SEND)
    return queryset if allowed else queryset.none()


def _inbox_visible(user, queryset: QuerySet) -> QuerySet:
    """Received packages: for those who decide about them."""
    return queryset if can(user, Perm.PARTNERS_MANAGE) else queryset.none()


# model label -> function(user, queryset) returning the rows that user may see.
OBJECT_RULES: dict[str, Callable[[object, QuerySet], QuerySet]] = {
    "accounts.user": _users_visible,
    "audit.auditevent": _audit_visible,
    "outreach.organisation": _outreach_visible,
    "outreach.approach": _outreach_visible,
    "outreach.organisationname": _outreach_visible,
    "outreach.outreachdigest": _digests_visible,
    "outreach.importjob": _import_jobs_visible,
    "cases.case": _cases_visible,
    "intake.intakerequest": _intake_visible,
    "intake.attachment": _intake_visible,
    "cases.task": _case_parts_visible,
    "cases.need": _case_parts_visible,
    "cases.note": _notes_visible,
    "cases.riskevent": _case_parts_visible,
    "cases.statuschange": _case_parts_visible,
    "evidence.testimony": _evidence_visible,
    "evidence.item": _evidence_visible,
    "evidence.custodyentry": _evidence_parts_visible,
    "evidence.chatmessage": _evidence_parts_visible,
    "evidence.event": _events_visible,
    "pathways.proposal": _pathway_proposals_visible,
    "pathways.casepathway": _case_parts_visible,  # exactly when the case is visible
    "pathways.gaptask": _case_parts_visible,
    "screening.screening": _screening_visible,
    "screening.concern": _screening_visible,
    "screening.corroboration": _screening_visible,
    "screening.decision": _screening_visible,
    "screening.exportclearance": _screening_visible,
    "knowledge.page": _knowledge_visible,
    "ledger.fund": _ledger_visible,
    "ledger.account": _ledger_visible,
    "ledger.donor": _ledger_visible,
    "ledger.pledge": _ledger_visible,
    "ledger.transaction": _ledger_visible,
    "ledger.posting": _ledger_visible,
    "ledger.monthtotal": _ledger_visible,
    "ledger.casemonthtotal": _ledger_visible,
    "ledger.receipt": _ledger_visible,
    "ledger.rate": _ledger_visible,
    "knowledge.revision": _knowledge_visible,
    "partners.partner": _partners_visible,
    "partners.inbound": _inbox_visible,
}


def visible(user, queryset: QuerySet, perm: Perm) -> QuerySet:
    """The rows of ``queryset`` that ``user`` may see for ``perm``; none if no rule exists."""
    rule = OBJECT_RULES.get(queryset.model._meta.label_lower)
    if rule is None or not can(user, perm):
        return queryset.none()
    if isinstance(user, SystemActor):
        return queryset
    return rule(user, queryset)


def get_for(user, queryset: QuerySet, pk, perm: Perm) -> Model:
    """Fetch one object the user may act on, or 404 — the same for missing and forbidden."""
    try:
        return visible(user, queryset, perm).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def requires(perm: Perm):
    """Guard a view with a permission. The guard is recorded on the view so that a test can walk
    every URL and find any view that is neither public nor guarded."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not can(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        guarded.waystation_permission = perm
        return guarded

    return decorate
