"""The catalogue pages and proposed corrections. The catalogue comes from the YAML files; a
file with problems is left out and coordinators are shown why, instead of a broken page."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_countries import countries

from waystation.accounts.policy import Perm, Side, can, case_sides, get_for, requires
from waystation.cases.selectors import case_by_codename, case_for
from waystation.cases.services import CaseAccessDenied

from . import catalogue, readiness, selectors, services
from .catalogue import Pathway, localized
from .forms import ChooseForm, DecisionForm, ProposalForm
from .models import Proposal, ProposalStatus
from .vocabulary import EvidenceKind, PathwayKind

_PRACTICAL = (
    ("where_to_apply", gettext_lazy("Where to apply")),
    ("typical_duration", gettext_lazy("How long it takes")),
    ("known_refusals", gettext_lazy("Known refusals")),
    ("notes", gettext_lazy("Notes")),
)


def _issuer(pathway: Pathway) -> str:
    body = localized(pathway.issuer).text
    return f"{countries.name(pathway.country)}: {body}" if pathway.country else body


def _row(pathway: Pathway, max_days: int) -> dict:
    return {
        "id": pathway.id,
        "name": localized(pathway.names),
        "kind": PathwayKind(pathway.kind).label,
        "issuer": _issuer(pathway),
        "last_reviewed": pathway.last_reviewed,
        "stale": pathway.is_stale(max_days),
        "draft": pathway.draft,
    }


def _common(request, current) -> dict:
    """What every catalogue page shows: the files left out, and the count of open proposals."""
    return {
        "problems": current.problems,
        "may_review": can(request.user, Perm.PATHWAYS_REVIEW),
        "open_proposals": selectors.open_proposal_count(request.user),
        "max_days": settings.PATHWAYS_REVIEW_MAX_DAYS,
    }


def _pathway_or_404(current, pathway_id: str) -> Pathway:
    pathway = current.get(pathway_id)
    if pathway is None:
        raise Http404
    return pathway


@requires(Perm.PATHWAYS_VIEW)
def catalogue_list(request):
    current = catalogue.current()
    present = sorted({p.country for p in current.pathways if p.country})
    country_choices = [(code, countries.name(code)) for code in present]
    if any(not p.country for p in current.pathways):
        country_choices.append(
            (selectors.NO_COUNTRY, _("None: an international body (UNHCR, the EU)"))
        )
    kind = request.GET.get("kind", "")
    kind = kind if kind in PathwayKind.values else ""
    country = request.GET.get("country", "")
    country = country if country in dict(country_choices) else ""
    max_days = settings.PATHWAYS_REVIEW_MAX_DAYS
    rows = [
        _row(p, max_days) for p in selectors.pathways_filtered(current, kind=kind, country=country)
    ]
    return render(
        request,
        "pathways/list.html",
        {
            **_common(request, current),
            "rows": rows,
            "kind": kind,
            "country": country,
            "kind_choices": PathwayKind.choices,
            "country_choices": country_choices,
            "stale_count": sum(1 for row in rows if row["stale"]),
        },
    )


@requires(Perm.PATHWAYS_VIEW)
def pathway_detail(request, pathway):
    current = catalogue.current()
    found = _pathway_or_404(current, pathway)
    max_days = settings.PATHWAYS_REVIEW_MAX_DAYS
    return render(
        request,
        "pathways/detail.html",
        {
            **_common(request, current),
            "pathway": found,
            "name": localized(found.names),
            "other_names": [
                (lang, text)
                for lang, text in found.names.items()
                if text != localized(found.names).text
            ],
            "kind": PathwayKind(found.kind).label,
            "issuer": _issuer(found),
            "summary": localized(found.summary),
            "for_whom": localized(found.for_whom),
            "criteria": [
                {
                    "id": criterion.id,
                    "text": localized(criterion.text),
                    "evidence": [EvidenceKind(kind).label for kind in criterion.evidence],
                }
                for criterion in found.criteria
            ],
            "sources": [
                {
                    "citation": source.citation,
                    "article": source.article,
                    "link": source.link,
                    "note": localized(source.note),
                }
                for source in found.legal_sources
            ],
            "practical": [
                (label, localized(found.practical[key]))
                for key, label in _PRACTICAL
                if key in found.practical
            ],
            "stale": found.is_stale(max_days),
            "age_days": found.age_days(),
            "may_see_cases": can(request.user, Perm.CASES_VIEW),
        },
    )


@requires(Perm.PATHWAYS_VIEW)
def propose(request, pathway):
    current = catalogue.current()
    found = _pathway_or_404(current, pathway)
    form = ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.proposal_create(
            actor=request.user, pathway_id=found.id, text=form.cleaned_data["text"]
        )
        messages.success(
            request,
            _(
                "Thank you. A coordinator will look at your proposal. The catalogue changes only "
                "when someone edits the pathway's file."
            ),
        )
        return redirect("pathways:detail", pathway=found.id)
    return render(
        request,
        "pathways/propose.html",
        {
            **_common(request, current),
            "pathway": found,
            "name": localized(found.names),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@requires(Perm.PATHWAYS_VIEW)
def proposals(request):
    current = catalogue.current()
    status = request.GET.get("status", ProposalStatus.OPEN)
    status = status if status in ProposalStatus.values or status == "all" else ProposalStatus.OPEN
    rows = []
    for proposal in selectors.proposals_for(request.user, status):
        pathway = current.get(proposal.pathway_id)
        rows.append(
            {
                "proposal": proposal,
                "name": localized(pathway.names) if pathway else None,
                "file": pathway.file if pathway else "",
            }
        )
    return render(
        request,
        "pathways/proposals.html",
        {
            **_common(request, current),
            "rows": rows,
            "status": status,
            "status_choices": [*ProposalStatus.choices, ("all", _("All"))],
            "decision_form": DecisionForm(),
        },
    )


@requires(Perm.PATHWAYS_REVIEW)
@require_POST
def decide(request, pk):
    proposal = get_for(request.user, Proposal.objects.all(), pk, Perm.PATHWAYS_REVIEW)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to accept or to decline."))
        return redirect("pathways:proposals")
    try:
        decided = services.proposal_decide(
            actor=request.user,
            proposal=proposal,
            accept=form.cleaned_data["decision"] == "accept",
            note=form.cleaned_data["note"],
        )
    except services.ProposalError as problem:
        messages.error(request, str(problem))
        return redirect("pathways:proposals")
    if decided.status == ProposalStatus.ACCEPTED:
        messages.success(
            request,
            _(
                "Accepted. Nothing has changed yet: someone must now edit the file, run "
                "“waystation pathways check” and deploy."
            ),
        )
    else:
        messages.success(request, _("Declined."))
    return redirect("pathways:proposals")


# -- readiness of a case ----------------------------------------------------------------------
# Who may open the case may read its readiness (the object rule behind ``case_for``); who holds
# its legal side may choose pathways and turn gaps into tasks (checked again by the services).


def _pathway_name(pathway: Pathway) -> str:
    return localized(pathway.names).text


def _choose_form(current, chosen_ids, data=None) -> ChooseForm:
    choices = sorted(
        ((p.id, _pathway_name(p)) for p in current.pathways if p.id not in chosen_ids),
        key=lambda pair: pair[1].casefold(),
    )
    return ChooseForm(data, choices=choices, prefix="choose")


def _holdings(request, case):
    """What the case holds, as far as this viewer may see its sides."""
    return readiness.gather(case, family=Side.CARE in case_sides(request.user, case))


def _comparison(request, case, *, form=None, status=200):
    current = catalogue.current()
    chosen = selectors.chosen_for(request.user, case)
    chosen_ids = {row.pathway_id for row in chosen}
    held = _holdings(request, case)
    ranked_chosen, ranked_others = selectors.readiness_compared(current, held, chosen_ids)
    may_change = Side.LEGAL in case_sides(request.user, case)
    return render(
        request,
        "pathways/comparison.html",
        {
            **_common(request, current),
            "case": case,
            "chosen": [
                {"readiness": r, "name": localized(r.pathway.names), "draft": r.pathway.draft}
                for r in ranked_chosen
            ],
            "others": [
                {"readiness": r, "name": localized(r.pathway.names), "draft": r.pathway.draft}
                for r in ranked_others
            ],
            # A pathway chosen earlier and since taken out of the catalogue.
            "gone": [row for row in chosen if current.get(row.pathway_id) is None],
            "may_change": may_change,
            "choose_form": (form or _choose_form(current, chosen_ids)) if may_change else None,
        },
        status=status,
    )


@requires(Perm.CASES_VIEW)
def case_comparison(request, case):
    return _comparison(request, case_for(request.user, case))


@require_POST
@requires(Perm.CASES_VIEW)
def case_choose(request, case):
    case = case_for(request.user, case)
    if Side.LEGAL not in case_sides(request.user, case):
        raise Http404
    current = catalogue.current()
    chosen_ids = {row.pathway_id for row in selectors.chosen_for(request.user, case)}
    form = _choose_form(current, chosen_ids, request.POST)
    if form.is_valid():
        pathway = _pathway_or_404(current, form.cleaned_data["pathway"])
        try:
            services.case_pathway_choose(
                actor=request.user, case=case, pathway=pathway, note=form.cleaned_data["note"]
            )
        except CaseAccessDenied:
            raise Http404 from None
        except services.CasePathwayError as problem:
            form.add_error("pathway", str(problem))
        else:
            messages.success(request, _("Pathway chosen for this case."))
            return redirect("pathways:case_readiness", case=case.pk, pathway=pathway.id)
    return _comparison(request, case, form=form, status=400)


@require_POST
@requires(Perm.CASES_VIEW)
def case_remove(request, case, pathway):
    case = case_for(request.user, case)
    try:
        services.case_pathway_remove(actor=request.user, case=case, pathway_id=pathway)
    except CaseAccessDenied:
        raise Http404 from None
    messages.success(request, _("The pathway is no longer chosen for this case."))
    return redirect("pathways:case_comparison", case=case.pk)


def _criterion_rows(result, gap_tasks) -> list[dict]:
    return [
        {
            "id": c.criterion.id,
            "text": localized(c.criterion.text),
            "state": c.state,
            "supports": c.supports,
            "wanted": [kind.label for kind in c.wanted],
            "unrecorded": [kind.label for kind in c.unrecorded],
            "task": gap_tasks.get(c.criterion.id),
        }
        for c in result.criteria
    ]


@requires(Perm.CASES_VIEW)
def case_readiness(request, case, pathway):
    case = case_for(request.user, case)
    current = catalogue.current()
    found = _pathway_or_404(current, pathway)
    chosen = next(
        (row for row in selectors.chosen_for(request.user, case) if row.pathway_id == found.id),
        None,
    )
    result = readiness.assess(found, _holdings(request, case))
    gap_tasks = selectors.open_gap_tasks(request.user, case, found.id) if chosen else {}
    return render(
        request,
        "pathways/readiness.html",
        {
            **_common(request, current),
            "case": case,
            "pathway": found,
            "name": localized(found.names),
            "chosen": chosen,
            "result": result,
            "rows": _criterion_rows(result, gap_tasks),
            "may_change": Side.LEGAL in case_sides(request.user, case),
            "stale": found.is_stale(settings.PATHWAYS_REVIEW_MAX_DAYS),
        },
    )


@require_POST
@requires(Perm.CASES_VIEW)
def gap_task(request, case, pathway, criterion):
    case = case_for(request.user, case)
    found = _pathway_or_404(catalogue.current(), pathway)
    result = readiness.assess(found, _holdings(request, case))
    gap = next((c for c in result.criteria if c.criterion.id == criterion), None)
    if gap is None:
        raise Http404
    try:
        task, new = services.gap_task_create(actor=request.user, case=case, pathway=found, gap=gap)
    except CaseAccessDenied:
        raise Http404 from None
    except services.CasePathwayError as problem:
        messages.error(request, str(problem))
    else:
        if new:
            messages.success(request, _("Task added: %(title)s") % {"title": task.title})
        else:
            messages.info(request, _("An open task for this gap exists already."))
    return redirect(
        reverse("pathways:case_readiness", kwargs={"case": case.pk, "pathway": found.id})
        + f"#criterion-{criterion}"
    )


@requires(Perm.CASES_VIEW)
def case_lookup(request, pathway):
    """From a pathway's page to one case's readiness for it, by codename."""
    found = _pathway_or_404(catalogue.current(), pathway)
    case = case_by_codename(request.user, request.GET.get("codename", ""))
    if case is None:
        messages.error(request, _("No case you may open has this codename."))
        return redirect("pathways:detail", pathway=found.id)
    return redirect("pathways:case_readiness", case=case.pk, pathway=found.id)
