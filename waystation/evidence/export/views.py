"""The pages of the ways out that start in this app: the evidence package for an investigator
and the per-case export. Both show, before anything is made, the exit gate's list: what goes,
what is held back, and why. Work without JavaScript: the list comes back from the server."""

import json

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache

from waystation.accounts.policy import Perm, Side, can, case_sides, requires
from waystation.cases.selectors import case_for
from waystation.cases.services import CaseAccessDenied, CaseError, RevealReason
from waystation.core.signing import public_key_text

from .. import gate, selectors
from ..forms import CaseExportForm, ExportForm
from ..services import EvidenceError
from . import stream_package_zip
from .case import case_export as make_case_export


def _addressee(form, data) -> gate.Addressee | None:
    if not data.get("recipient"):
        return None
    try:
        return gate.Addressee.of(data["recipient"], data.get("body", ""))
    except gate.GateError as problem:
        form.add_error(None, str(problem))
        return None


@never_cache
@requires(Perm.EVIDENCE_EXPORT)
def package(request):
    """First the list for the case and recipient chosen, with a tick for everything that
    goes; then the signed BagIt package, as a ZIP made while it downloads, of what stayed
    ticked. Something held back that comes back ticked (a tampered form) refuses it all."""
    form = ExportForm(
        request.POST or None,
        cases=selectors.cases_to_document(request.user),
        initial={"case": request.GET.get("case", "")},
    )
    decision = None
    if request.method == "POST" and form.is_valid():
        case, addressee = form.cleaned_data["case"], _addressee(form, form.cleaned_data)
        if addressee is not None and request.POST.get("step") == "download":
            try:
                result, chunks = stream_package_zip(
                    actor=request.user,
                    case=case,
                    addressee=addressee,
                    item_ids=request.POST.getlist("items"),
                    testimony_ids=request.POST.getlist("testimonies"),
                )
            except EvidenceError as problem:
                form.add_error(None, str(problem))
            else:
                response = StreamingHttpResponse(chunks, content_type="application/zip")
                response["Content-Disposition"] = content_disposition_header(
                    True, result.path.name
                )
                return response
        if addressee is not None:
            decision = gate.preview(actor=request.user, case=case, addressee=addressee)
    return render(
        request,
        "evidence/export.html",
        {
            "form": form,
            "decision": decision,
            "public_key": public_key_text(),
            "may_record": can(request.user, Perm.EVIDENCE_EDIT),
        },
        status=400 if form.errors else 200,
    )


@never_cache
@requires(Perm.CASES_VIEW)
def case_export(request, pk):
    """The case as JSON or a printable page, for whoever holds its legal side; with a
    recipient named, the evidence the gate lets go to it goes along, listed first on
    request ("Show what goes with it")."""
    case = case_for(request.user, pk)
    sides = case_sides(request.user, case)
    if Side.LEGAL not in sides:
        raise Http404
    form = CaseExportForm(
        request.POST or None,
        identity=Side.IDENTITY in sides,
        reasons=RevealReason.CHOICES,
        initial={"format": "html"},
    )
    decision = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        addressee = _addressee(form, data)
        if not form.errors and request.POST.get("step") != "preview":
            try:
                made = make_case_export(
                    actor=request.user,
                    case=case,
                    fmt=data["format"],
                    identity_reason=data.get("reason", ""),
                    addressee=addressee,
                )
            except CaseAccessDenied:
                raise Http404 from None
            except (CaseError, EvidenceError) as problem:
                form.add_error(None, str(problem))
            else:
                return _case_file(request, case, made)
        decision = gate.preview(actor=request.user, case=case, addressee=addressee)
    return render(
        request,
        "evidence/case_export_page.html",
        {
            "case": case,
            "form": form,
            "decision": decision,
            "may_record": can(request.user, Perm.EVIDENCE_EDIT),
        },
        status=400 if form.errors else 200,
    )


def _case_file(request, case, made) -> HttpResponse:
    if made.fmt == "json":
        response = HttpResponse(
            json.dumps(made.data, ensure_ascii=False, indent=2), content_type="application/json"
        )
        response["Content-Disposition"] = content_disposition_header(True, f"{case.codename}.json")
    else:
        response = render(request, "evidence/case_export.html", {"case": case, "data": made.data})
    response["Cache-Control"] = "no-store"
    return response
