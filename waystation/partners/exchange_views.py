"""The pages of a package's case content: "Send to a partner" from a case (with the exit
gate's list of what goes and what is held back, and the case's earlier packages with their
answers), the inbox of received packages, and a received package's page with accept and
decline. Server-rendered, no script; the package and the receipt come back as downloads."""

import contextlib
import os
import tempfile
from pathlib import Path

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache

from waystation.accounts.policy import Perm, Side, can, case_sides, requires
from waystation.cases.selectors import case_for
from waystation.cases.services import CaseAccessDenied
from waystation.core.refusals import Refusal

from . import accepting, exchange_selectors, sending
from .exchange_forms import DeclineForm, SendForm


def _download(path: Path, name: str) -> FileResponse:
    """The file as a download; its name on disk goes at once (the open handle keeps it)."""
    handle = open(path, "rb")  # noqa: SIM115 -- closed by the response
    os.unlink(path)
    response = FileResponse(handle, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "no-store"
    return response


def _scratch() -> Path:
    """A new path in a private folder for a file made before it is sent (encrypted)."""
    return Path(tempfile.mkdtemp(prefix="waystation-partner-")) / "package.age"


@never_cache
@requires(Perm.PARTNERS_SEND)
def send(request, pk):
    case = case_for(request.user, pk)
    sides = case_sides(request.user, case)
    if Side.MANAGE not in sides:
        raise Http404
    partners = [p.name for p in exchange_selectors.partners_to_send_to()]
    form = SendForm(
        request.POST or None,
        partners=partners,
        identity=can(request.user, Perm.CASES_MANAGE),
    )
    decision = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        partner = exchange_selectors.partner_to_send_to(data["partner"])
        if request.POST.get("step") == "send" and partner is not None:
            choice = sending.Choice(
                kind=data["kind"],
                message=data["message"],
                care=data["care"],
                legal=data["legal"],
                identity_reason=data.get("reason", "") if data.get("identity") else "",
                item_ids=tuple(request.POST.getlist("items")),
                testimony_ids=tuple(request.POST.getlist("testimonies")),
            )
            out = _scratch()
            try:
                outbound = sending.case_send(
                    actor=request.user, case=case, partner=partner, choice=choice, out=out
                )
            except CaseAccessDenied:
                raise Http404 from None
            except Refusal as problem:
                form.add_error(None, str(problem))
            else:
                name = f"{case.codename}-{outbound.kind}-{outbound.package_id[:8]}.waystation"
                return _download(out, name)
            finally:
                _tidy(out)
        decision = sending.preview(actor=request.user, case=case, partner_name=data["partner"])
    return render(
        request,
        "partners/send.html",
        {
            "case": case,
            "form": form,
            "decision": decision,
            "packages": exchange_selectors.packages_of(case),
            "partners": partners,
        },
        status=400 if form.errors else 200,
    )


def _tidy(out: Path) -> None:
    out.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        out.parent.rmdir()


@never_cache
@requires(Perm.PARTNERS_MANAGE)
def inbox(request):
    return render(request, "partners/inbox.html", {"packages": exchange_selectors.inbox()})


@never_cache
@requires(Perm.PARTNERS_MANAGE)
def package(request, pk):
    """What a received package holds (from its manifest, kept encrypted here), and accept
    or decline. Either gives the signed receipt for the sender as a download."""
    inbound = exchange_selectors.inbound(pk)
    if inbound is None or inbound.kind == "receipt":
        raise Http404
    decline_form = DeclineForm(request.POST if request.POST.get("do") == "decline" else None)
    problem = None
    if request.method == "POST" and request.POST.get("do") in ("accept", "decline"):
        out = _scratch()
        try:
            if request.POST["do"] == "accept":
                accepting.package_accept(actor=request.user, inbound=inbound, out=out)
            elif decline_form.is_valid():
                accepting.package_decline(
                    actor=request.user,
                    inbound=inbound,
                    reason=decline_form.cleaned_data["reason"],
                    out=out,
                )
            if out.exists():
                return _download(out, f"receipt-{inbound.package_id[:8]}.waystation")
        except Refusal as error:
            problem = str(error)
        finally:
            _tidy(out)
    return render(
        request,
        "partners/package.html",
        {
            "inbound": inbound,
            "contents": accepting.contents_of(inbound),
            "decision": exchange_selectors.decision_of(inbound),
            "decline_form": decline_form,
            "problem": problem,
        },
        status=400 if (problem or decline_form.errors) else 200,
    )
