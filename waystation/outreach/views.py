from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, can, get_for, requires

from . import services
from .forms import ApproachForm, DirectoryFilterForm, OrganisationForm, ResponseForm
from .models import Approach
from .selectors import approaches_of, organisation_for, organisations_for
from .spreadsheet.writing import CONTENT_TYPES

PAGE_SIZE = 50


@requires(Perm.OUTREACH_VIEW)
def directory(request):
    form = DirectoryFilterForm(request.GET or None)
    query = kind = ""
    if form.is_bound and form.is_valid():
        query, kind = form.cleaned_data["q"].strip(), form.cleaned_data["kind"]
    page = Paginator(organisations_for(request.user, query=query, kind=kind), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "outreach/directory.html",
        {
            "form": form,
            "page": page,
            "params": params.urlencode(),
            "can_edit": can(request.user, Perm.OUTREACH_EDIT),
        },
    )


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
    return _organisation_page(request, organisation, ApproachForm(), None)


def _organisation_page(request, organisation, approach_form, response_forms, status=200):
    approaches = list(approaches_of(request.user, organisation))
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
            "can_edit": can(request.user, Perm.OUTREACH_EDIT),
        },
        status=status,
    )


@require_POST
@requires(Perm.OUTREACH_EDIT)
def approach_new(request, pk):
    organisation = organisation_for(request.user, pk)
    form = ApproachForm(request.POST)
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
        request, approach.organisation, ApproachForm(), {approach.pk: form}, status=400
    )
