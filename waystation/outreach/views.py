from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, can, get_for, requires
from waystation.core.paging import page_of
from waystation.core.spreadsheets.writing import CONTENT_TYPES

from . import services
from .digest import outreach_digest_build
from .forms import (
    AliasForm,
    ApproachForm,
    ContactForm,
    DirectoryFilterForm,
    MergeForm,
    OrganisationForm,
    ResponseForm,
)
from .models import Approach
from .selectors import (
    approaches_of,
    digest_for,
    digest_groups,
    digests_for,
    organisation_for,
    organisations_for,
)

# The alias and contact forms share the organisation page and both have a "name": their ids
# are kept apart (the posted names stay as they are).
ALIAS_IDS, CONTACT_IDS = "id_alias_%s", "id_person_%s"


@requires(Perm.OUTREACH_VIEW)
def directory(request):
    form = DirectoryFilterForm(request.GET or None)
    query = kind = ""
    if form.is_bound and form.is_valid():
        query, kind = form.cleaned_data["q"].strip(), form.cleaned_data["kind"]
    page = page_of(organisations_for(request.user, query=query, kind=kind), request.GET)
    return render(
        request,
        "outreach/directory.html",
        {
            "form": form,
            "page": page,
            "can_edit": can(request.user, Perm.OUTREACH_EDIT),
            "can_see_digest": can(request.user, Perm.OUTREACH_DIGEST),
        },
    )


@requires(Perm.OUTREACH_DIGEST)
def digest(request, pk=None):
    """The weekly digest of follow-ups (the latest, or an earlier week's), by organisation."""
    shown = digest_for(request.user, pk)
    return render(
        request,
        "outreach/digest.html",
        {
            "digest": shown,
            "groups": digest_groups(request.user, shown) if shown else [],
            "weeks": digests_for(request.user)[:12],
            "follow_up_days": settings.OUTREACH_FOLLOW_UP_DAYS,
        },
    )


@require_POST
@requires(Perm.OUTREACH_DIGEST)
def digest_build(request):
    """Build this week's digest now instead of waiting for the worker (once a week)."""
    built = outreach_digest_build(actor=request.user)
    return redirect("outreach:digest_week", pk=built.pk)


@requires(Perm.OUTREACH_EDIT)
def export(request):
    fmt = request.GET.get("format", "xlsx")
    if fmt not in CONTENT_TYPES:
        fmt = "xlsx"
    data = services.outreach_export(actor=request.user, fmt=fmt)
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="outreach-{stamp}.{fmt}"'
    return response


@requires(Perm.OUTREACH_EDIT)
def organisation_new(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(actor=request.user, **form.cleaned_data)
        except services.OutreachError as problem:
            form.add_error("name", str(problem))
        else:
            return redirect("outreach:organisation", pk=organisation.pk)
    return render(request, "outreach/organisation_form.html", {"form": form})


@requires(Perm.OUTREACH_VIEW)
def organisation(request, pk):
    organisation = organisation_for(request.user, pk)
    return _organisation_page(request, organisation, ApproachForm(viewer=request.user), None)


def _organisation_page(request, organisation, approach_form, response_forms, status=200, **forms):
    approaches = approaches_of(request.user, organisation)
    response_forms = response_forms or {}
    rows = [(a, response_forms.get(a.pk) or ResponseForm(prefix=f"r{a.pk}")) for a in approaches]
    return render(
        request,
        "outreach/organisation.html",
        {
            "organisation": organisation,
            "names": organisation.names.exclude(name=organisation.name),
            "contacts": organisation.contacts.all(),
            "rows": rows,
            "approach_form": approach_form,
            "alias_form": forms.get("alias_form") or AliasForm(auto_id=ALIAS_IDS),
            "merge_form": forms.get("merge_form") or MergeForm(organisation=organisation),
            "contact_form": forms.get("contact_form") or ContactForm(auto_id=CONTACT_IDS),
            "can_edit": can(request.user, Perm.OUTREACH_EDIT),
        },
        status=status,
    )


@require_POST
@requires(Perm.OUTREACH_EDIT)
def approach_new(request, pk):
    organisation = organisation_for(request.user, pk)
    form = ApproachForm(request.POST, viewer=request.user)
    if form.is_valid():
        services.approach_create(actor=request.user, organisation=organisation, **form.cleaned_data)
        messages.success(request, _("The approach was recorded."))
        return redirect("outreach:organisation", pk=organisation.pk)
    return _organisation_page(request, organisation, form, None, status=400)


@require_POST
@requires(Perm.OUTREACH_EDIT)
def response_new(request, pk):
    approach = get_for(request.user, Approach.objects.all(), pk, Perm.OUTREACH_EDIT)
    form = ResponseForm(request.POST, prefix=f"r{approach.pk}")
    if form.is_valid():
        try:
            services.response_record(actor=request.user, approach=approach, **form.cleaned_data)
        except services.OutreachError as problem:
            form.add_error("date", str(problem))
        else:
            messages.success(request, _("The response was recorded."))
            return redirect("outreach:organisation", pk=approach.organisation_id)
    return _organisation_page(
        request,
        approach.organisation,
        ApproachForm(viewer=request.user),
        {approach.pk: form},
        status=400,
    )


@requires(Perm.OUTREACH_EDIT)
def organisation_edit(request, pk):
    organisation = organisation_for(request.user, pk)
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except services.OutreachError as problem:
            form.add_error("name", str(problem))
        else:
            messages.success(request, _("Saved."))
            return redirect("outreach:organisation", pk=organisation.pk)
    return render(request, "outreach/organisation_form.html", {"form": form, "editing": True})


@require_POST
@requires(Perm.OUTREACH_EDIT)
def organisation_alias(request, pk):
    organisation = organisation_for(request.user, pk)
    form = AliasForm(request.POST, auto_id=ALIAS_IDS)
    if form.is_valid():
        try:
            services.organisation_add_name(
                actor=request.user, organisation=organisation, name=form.cleaned_data["name"]
            )
        except services.OutreachError as problem:
            form.add_error("name", str(problem))
        else:
            return redirect("outreach:organisation", pk=organisation.pk)
    return _organisation_page(
        request, organisation, ApproachForm(viewer=request.user), None, 400, alias_form=form
    )


@require_POST
@requires(Perm.OUTREACH_EDIT)
def organisation_merge(request, pk):
    organisation = organisation_for(request.user, pk)
    form = MergeForm(request.POST, organisation=organisation)
    if form.is_valid():
        services.organisations_merge(
            actor=request.user, keep=organisation, merge=form.cleaned_data["other"]
        )
        messages.success(request, _("The two entries are one now."))
        return redirect("outreach:organisation", pk=organisation.pk)
    return _organisation_page(
        request, organisation, ApproachForm(viewer=request.user), None, 400, merge_form=form
    )


@require_POST
@requires(Perm.OUTREACH_EDIT)
def contact_add(request, pk):
    organisation = organisation_for(request.user, pk)
    form = ContactForm(request.POST, auto_id=CONTACT_IDS)
    if form.is_valid():
        services.contact_save(actor=request.user, organisation=organisation, **form.cleaned_data)
        return redirect("outreach:organisation", pk=organisation.pk)
    return _organisation_page(
        request, organisation, ApproachForm(viewer=request.user), None, 400, contact_form=form
    )
