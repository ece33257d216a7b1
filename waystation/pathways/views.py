"""The catalogue pages and proposed corrections. The catalogue comes from the YAML files; a
file with problems is left out and coordinators are shown why, instead of a broken page."""

from babel.languages import get_official_languages
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_countries import countries

from waystation.accounts.policy import Perm, can, get_for, requires
from waystation.core.countries import sorted_by_name

from . import catalogue, selectors, services
from .catalogue import Pathway
from .forms import DecisionForm, ProposalForm
from .models import Proposal, ProposalStatus
from .texts import FALLBACK_LANGUAGE, Localized, localized
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


def common(request, current) -> dict:
    """What every catalogue page shows: the files left out, and the count of open proposals."""
    return {
        "problems": current.problems,
        "may_review": can(request.user, Perm.PATHWAYS_REVIEW),
        "open_proposals": selectors.open_proposal_count(request.user),
        "max_days": settings.PATHWAYS_REVIEW_MAX_DAYS,
    }


def pathway_or_404(current, pathway_id: str) -> Pathway:
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
            **common(request, current),
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
    found = pathway_or_404(current, pathway)
    max_days = settings.PATHWAYS_REVIEW_MAX_DAYS
    name = localized(found.names)
    return render(
        request,
        "pathways/detail.html",
        {
            **common(request, current),
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
    found = pathway_or_404(current, pathway)
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
            **common(request, current),
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
            **common(request, current),
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
