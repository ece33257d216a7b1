"""Screening pages: the queue, a coordinator's disagreements, and one page per case with
the interview, the concerns, corroboration, the psychological assessment and the decision.
Every showing of a screening record is audited before the answer is made."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, can, requires
from waystation.core.paging import page_of

from . import selectors, services
from .forms import (
    AssessmentForm,
    ClearanceForm,
    ConcernForm,
    CorroborationForm,
    InterviewForm,
    ProposeForm,
    ReferralForm,
    ReopenForm,
    ResolveForm,
    ReviewForm,
)
from .models import Stage


@never_cache
@requires(Perm.SCREENING_VIEW)
def queue(request):
    found = selectors.queue_for(request.user)
    page = page_of(found["not_screened"], request.GET)
    return render(
        request,
        "screening/queue.html",
        {
            **found,
            "page": page,
            "may_resolve": can(request.user, Perm.SCREENING_RESOLVE),
        },
    )


@never_cache
@requires(Perm.SCREENING_RESOLVE)
def disagreements(request):
    return render(
        request,
        "screening/disagreements.html",
        {"disagreements": selectors.disagreements_for(request.user)},
    )


def _interview_initial(screening) -> dict:
    if screening is None:
        return {}
    initial = {name: getattr(screening, name) for name in services.INTERVIEW_FIELDS}
    initial["interviewed_on"] = screening.interviewed_on
    return initial


def _page(request, case, *, bound=None, refusal="", status=200):
    """The screening page of ``case``, with ``bound`` forms (by name) kept as the person
    filled them in; the read is audited."""
    user = request.user
    screening = selectors.screening_for(user, case)
    state = selectors.status_of(screening)
    bound = bound or {}
    record = selectors.record_of(user, screening) if screening else {}
    if screening is not None:
        services.screening_read(actor=user, screening=screening)
    may_edit = can(user, Perm.SCREENING_EDIT)
    may_resolve = can(user, Perm.SCREENING_RESOLVE)
    sources = selectors.evidence_to_link(user, case)
    # Each form has its own prefix: several share field names (reasons, no_conflict).
    forms = {
        "interview": InterviewForm(prefix="interview", initial=_interview_initial(screening)),
        "concern": ConcernForm(prefix="concern"),
        "corroboration": CorroborationForm(prefix="corroboration", sources=sources),
        "referral": ReferralForm(
            prefix="referral",
            initial={"referred_on": screening.referred_on, "referral": screening.referral}
            if screening
            else {},
        ),
        "assessment": AssessmentForm(prefix="assessment"),
        "propose": ProposeForm(prefix="propose"),
        "review": ReviewForm(prefix="review"),
        "resolve": ResolveForm(prefix="resolve"),
        "reopen": ReopenForm(prefix="reopen"),
        "clearance": ClearanceForm(prefix="clearance"),
    }
    forms.update(bound)
    proposal = state.last if state.stage == Stage.AWAITING_CONFIRMATION else None
    disagreement = state.last if state.stage == Stage.DISAGREEMENT else None
    return render(
        request,
        "screening/screening.html",
        {
            "case": case,
            "screening": screening,
            "state": state,
            "refusal": refusal,
            "stage_label": Stage(state.stage).label,
            "record": record,
            "forms": forms,
            "sources": sources,
            "may_edit": may_edit,
            "may_resolve": may_resolve,
            "may_reopen": may_resolve,
            "proposal": proposal,
            "own_proposal": proposal is not None and proposal.actor_id == user.pk,
            "disagreement": disagreement,
            "needs_clearance": bool(record.get("concerns"))
            and selectors.export_clearance_problem(case) is not None,
        },
        status=status,
    )


@never_cache
@requires(Perm.SCREENING_VIEW)
def case_screening(request, pk):
    return _page(request, selectors.screening_case_for(request.user, pk))


def _post(request, pk, name, form_class, act, success: str, *, needs_screening=True, **form_kw):
    """One form of the screening page: valid input goes to ``act(case, screening, data)``;
    invalid input or a refusal shows the page again with what was typed and the message."""
    case = selectors.screening_case_for(request.user, pk)
    screening = selectors.screening_for(request.user, case)
    form = form_class(request.POST, prefix=name, **form_kw)
    refusal = ""
    if needs_screening and screening is None:
        refusal = _("Record the interview first: this case has no screening yet.")
    elif form.is_valid():
        try:
            act(case, screening, form.cleaned_data)
        except services.ScreeningError as problem:
            refusal = str(problem)  # shown on top: the form may be one the page no longer shows
        else:
            messages.success(request, success)
            return redirect("screening:case", pk=case.pk)
    return _page(request, case, bound={name: form}, refusal=refusal, status=400)


@require_POST
@requires(Perm.SCREENING_EDIT)
def interview(request, pk):
    def act(case, _screening, data):
        services.interview_record(actor=request.user, case=case, **data)

    return _post(
        request, pk, "interview", InterviewForm, act, _("Interview saved."), needs_screening=False
    )


@require_POST
@requires(Perm.SCREENING_EDIT)
def concern(request, pk):
    def act(_case, screening, data):
        services.concern_record(actor=request.user, screening=screening, **data)

    return _post(request, pk, "concern", ConcernForm, act, _("Exclusion concern recorded."))


@require_POST
@requires(Perm.SCREENING_EDIT)
def corroboration(request, pk):
    case = selectors.screening_case_for(request.user, pk)
    sources = selectors.evidence_to_link(request.user, case)

    def act(case, screening, data):
        source = selectors.corroboration_source(request.user, case, data["source"])
        services.corroboration_link(
            actor=request.user, screening=screening, note=data["note"], **source
        )

    return _post(
        request,
        pk,
        "corroboration",
        CorroborationForm,
        act,
        _("Corroboration linked."),
        sources=sources,
    )


@require_POST
@requires(Perm.SCREENING_EDIT)
def referral(request, pk):
    def act(_case, screening, data):
        services.referral_record(actor=request.user, screening=screening, **data)

    return _post(request, pk, "referral", ReferralForm, act, _("Referral recorded."))


@require_POST
@requires(Perm.SCREENING_EDIT)
def assessment(request, pk):
    def act(_case, screening, data):
        services.assessment_record(actor=request.user, screening=screening, **data)

    return _post(request, pk, "assessment", AssessmentForm, act, _("Assessment recorded."))


@require_POST
@requires(Perm.SCREENING_EDIT)
def propose(request, pk):
    def act(_case, screening, data):
        services.decision_propose(actor=request.user, screening=screening, **data)

    return _post(
        request,
        pk,
        "propose",
        ProposeForm,
        act,
        _("Decision proposed. It is final only when a second screener confirms it."),
    )


@require_POST
@requires(Perm.SCREENING_EDIT)
def review(request, pk):
    def act(_case, screening, data):
        services.decision_review(
            actor=request.user,
            screening=screening,
            agree=data["verdict"] == "confirm",
            reasons=data["reasons"],
            no_conflict=data["no_conflict"],
        )

    return _post(request, pk, "review", ReviewForm, act, _("Review recorded."))


@require_POST
@requires(Perm.SCREENING_RESOLVE)
def resolve(request, pk):
    def act(_case, screening, data):
        services.decision_resolve(actor=request.user, screening=screening, **data)

    return _post(request, pk, "resolve", ResolveForm, act, _("Disagreement resolved."))


@require_POST
@requires(Perm.SCREENING_RESOLVE)
def reopen(request, pk):
    def act(_case, screening, data):
        services.decision_reopen(actor=request.user, screening=screening, **data)

    return _post(request, pk, "reopen", ReopenForm, act, _("Decision reopened."))


@require_POST
@requires(Perm.SCREENING_RESOLVE)
def clearance(request, pk):
    def act(_case, screening, data):
        services.export_clear(actor=request.user, screening=screening, **data)

    return _post(
        request,
        pk,
        "clearance",
        ClearanceForm,
        act,
        _("Export confirmed: the evidence of this person can be exported."),
    )
