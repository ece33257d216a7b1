"""A case's pathways: every pathway of the catalogue assessed for the case, the ones chosen for
it, one pathway's checklist with its gaps (each can become a task) and the evidence items marked
as showing a criterion. What the viewer may see and change is decided in the selectors and
services; these views parse, call one of them and render."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, requires
from waystation.cases.selectors import case_by_codename, case_for
from waystation.cases.services import CaseAccessDenied
from waystation.core.dates import short_date
from waystation.core.uploads import display_name

from . import catalogue, readiness, selectors, services
from .catalogue import Pathway
from .forms import ChooseForm
from .texts import localized
from .views import common, pathway_or_404
from .vocabulary import EvidenceKind

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
            **common(request, current),
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
        pathway = pathway_or_404(current, form.cleaned_data["pathway"])
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
    found = pathway_or_404(current, pathway)
    checklist = selectors.checklist(request.user, case, found)
    return render(
        request,
        "pathways/readiness.html",
        {
            "mark_items": [_item_choice(item) for item in checklist.items],
            **common(request, current),
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
    found = pathway_or_404(catalogue.current(), pathway)
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
    found = pathway_or_404(catalogue.current(), pathway)
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
    found = pathway_or_404(catalogue.current(), pathway)
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
    found = pathway_or_404(catalogue.current(), pathway)
    case = case_by_codename(request.user, request.GET.get("codename", ""))
    if case is None:
        messages.error(request, _("No case you may open has this codename."))
        return redirect("pathways:detail", pathway=found.id)
    return redirect("pathways:case_readiness", case=case.pk, pathway=found.id)
