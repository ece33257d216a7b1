"""The catalogue pages and proposed corrections. The catalogue comes from the YAML files; a
file with problems is left out and coordinators are shown why, instead of a broken page."""

from babel.languages import get_official_languages
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_countries import countries

from waystation.accounts.policy import Perm, can, get_for, requires
from waystation.cases.selectors import case_by_codename, case_for
from waystation.cases.services import CaseAccessDenied
from waystation.core.countries import sorted_by_name
from waystation.core.dates import short_date
from waystation.core.uploads import display_name

from . import catalogue, readiness, selectors, services
from .catalogue import FALLBACK_LANGUAGE, Localized, Pathway, localized
from .forms import ChooseForm, DecisionForm, ProposalForm
from .models import Proposal, ProposalStatus
from .vocabulary import EvidenceKind, PathwayKind

_PRACTICAL = (
    ("where_to_apply", gettext_lazy("Where to apply")),
    ("typical_duration", gettext_lazy("How long it takes")),
    ("known_refusals", gettext_lazy("Known refusals")),
    ("notes", gettext_lazy("Notes")),
)


def _issuer(pathway: Pathway) -> dict:
    """The country (its name in the reader's language) and the body, which comes from the
    file and may fall back to English."""
    return {
        "country": countries.name(pathway.country) if pathway.country else "",
        "body": localized(pathway.issuer),
    }


def _official_names(pathway: Pathway, shown: Localized) -> list[tuple[str, str]]:
    """The pathway's name in the official languages of the issuing country, where the file has
    it and it is not the name shown: what to call it when writing to that country's
    authorities. English is left out (every page can fall back to it, and a page in another
    language shows no English), and so is a body without a country."""
    if not pathway.country:
        return []
    official = get_official_languages(pathway.country, de_facto=True)
    return [
        (lang, pathway.names[lang])
        for lang in official
        if lang != FALLBACK_LANGUAGE and pathway.names.get(lang) and lang != shown.lang
    ]


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
    country_choices = sorted_by_name((code, countries.name(code)) for code in present)
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
    name = localized(found.names)
    return render(
        request,
        "pathways/detail.html",
        {
            **_common(request, current),
            "pathway": found,
            "name": name,
            "other_names": _official_names(found, name),
            "reviewed_by": localized(found.reviewed_by),
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
                    "citation": localized(source.citation),
                    "article": localized(source.article),
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


def _comparison(request, case, *, form=None, status=200):
    current = catalogue.current()
    found = selectors.comparison(request.user, case, current)
    return render(
        request,
        "pathways/comparison.html",
        {
            **_common(request, current),
            "case": case,
            "chosen": [
                {"readiness": r, "name": localized(r.pathway.names), "draft": r.pathway.draft}
                for r in found.chosen
            ],
            "others": [
                {"readiness": r, "name": localized(r.pathway.names), "draft": r.pathway.draft}
                for r in found.others
            ],
            "gone": found.gone,
            "may_change": found.may_change,
            "choose_form": (form or _choose_form(current, found.chosen_ids))
            if found.may_change
            else None,
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
    if not selectors.may_change(request.user, case):
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
            "markable": [
                (kind.value, kind.label) for kind in readiness.markable_kinds(c.criterion)
            ],
        }
        for c in result.criteria
    ]


def _item_choice(item) -> tuple[str, str]:
    """An item as the marking form offers it: its name, so that the right one is chosen."""
    label = " · ".join(
        (
            display_name(item.original_name) or "—",
            str(item.get_kind_display()),
            short_date(item.acquired_on),
            str(item.get_verification_display()),
        )
    )
    return str(item.pk), label


@requires(Perm.CASES_VIEW)
def case_readiness(request, case, pathway):
    case = case_for(request.user, case)
    current = catalogue.current()
    found = _pathway_or_404(current, pathway)
    checklist = selectors.checklist(request.user, case, found)
    return render(
        request,
        "pathways/readiness.html",
        {
            "mark_items": [_item_choice(item) for item in checklist.items],
            **_common(request, current),
            "case": case,
            "pathway": found,
            "name": localized(found.names),
            "chosen": checklist.chosen,
            "result": checklist.result,
            "rows": _criterion_rows(checklist.result, checklist.gap_tasks),
            "may_change": checklist.may_change,
            "stale": found.is_stale(settings.PATHWAYS_REVIEW_MAX_DAYS),
        },
    )


@require_POST
@requires(Perm.CASES_VIEW)
def gap_task(request, case, pathway, criterion):
    case = case_for(request.user, case)
    found = _pathway_or_404(catalogue.current(), pathway)
    try:
        task, new = services.gap_task_create(
            actor=request.user, case=case, pathway=found, criterion_id=criterion
        )
    except CaseAccessDenied:
        raise Http404 from None
    except services.CasePathwayError as problem:
        messages.error(request, str(problem))
    else:
        if new:
            messages.success(request, _("Task added: %(title)s") % {"title": task.title})
        else:
            messages.info(request, _("An open task for this gap exists already."))
    return _back_to(case, found, criterion)


def _back_to(case, pathway: Pathway, criterion: str):
    return redirect(
        reverse("pathways:case_readiness", kwargs={"case": case.pk, "pathway": pathway.id})
        + f"#criterion-{criterion}"
    )


@require_POST
@requires(Perm.CASES_VIEW)
def evidence_mark(request, case, pathway, criterion):
    """Mark an item of the case as showing one kind of a criterion's evidence."""
    case = case_for(request.user, case)
    found = _pathway_or_404(catalogue.current(), pathway)
    wanted = next((c for c in found.criteria if c.id == criterion), None)
    if wanted is None:
        raise Http404
    kind = request.POST.get("kind", "")
    item = selectors.markable_item(request.user, case, request.POST.get("item", ""))
    if item is None or kind not in readiness.markable_kinds(wanted):
        messages.error(request, _("Choose an evidence item and what it shows from the list."))
        return _back_to(case, found, criterion)
    try:
        _mark, new = services.evidence_mark(actor=request.user, case=case, item=item, kind=kind)
    except CaseAccessDenied:
        raise Http404 from None
    except services.CasePathwayError as problem:
        messages.error(request, str(problem))
    else:
        if new:
            label = EvidenceKind(kind).label
            messages.success(
                request, _("Marked: the item now counts as “%(kind)s”.") % {"kind": label}
            )
        else:
            messages.info(request, _("This item was already marked so."))
    return _back_to(case, found, criterion)


@require_POST
@requires(Perm.CASES_VIEW)
def evidence_unmark(request, case, pathway, criterion, mark):
    case = case_for(request.user, case)
    found = _pathway_or_404(catalogue.current(), pathway)
    try:
        taken = services.evidence_unmark(actor=request.user, case=case, mark_id=mark)
    except CaseAccessDenied:
        raise Http404 from None
    if taken:
        messages.success(request, _("The mark is taken back: the item no longer counts here."))
    return _back_to(case, found, criterion)


@requires(Perm.CASES_VIEW)
def case_lookup(request, pathway):
    """From a pathway's page to one case's readiness for it, by codename."""
    found = _pathway_or_404(catalogue.current(), pathway)
    case = case_by_codename(request.user, request.GET.get("codename", ""))
    if case is None:
        messages.error(request, _("No case you may open has this codename."))
        return redirect("pathways:detail", pathway=found.id)
    return redirect("pathways:case_readiness", case=case.pk, pathway=found.id)
