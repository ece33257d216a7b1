"""The partners page: this instance's card (its fingerprint, a download), the partner groups,
adding one from its card in two steps (the second shows the fingerprint to compare and asks
for the member's word that it matched), revoking one, and importing a package into the inbox.
Server-rendered, no script."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, requires
from waystation.core.refusals import Refusal

from . import selectors, services
from .card import Card, this_card
from .forms import CardUploadForm, ConfirmPartnerForm, ImportForm, RevokeForm
from .inbox import import_package
from .models import PackageKind


def _index(request, *, upload=None, importing=None, status=200):
    card = this_card()
    return render(
        request,
        "partners/index.html",
        {
            "card": card,
            "partners": selectors.partners_for(request.user),
            "upload": upload or CardUploadForm(prefix="add"),
            "importing": importing or ImportForm(prefix="import"),
        },
        status=status,
    )


@never_cache
@requires(Perm.PARTNERS_MANAGE)
def index(request):
    return _index(request)


@never_cache
@requires(Perm.PARTNERS_MANAGE)
def card(request):
    mine = this_card()
    response = HttpResponse(mine.to_text(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, f"waystation-card-{mine.instance_id}.txt"
    )
    return response


@never_cache
@require_POST
@requires(Perm.PARTNERS_MANAGE)
def add(request):
    """Step one: read the card and show its fingerprint to compare; nothing is saved yet."""
    upload = CardUploadForm(request.POST, request.FILES, prefix="add")
    if not upload.is_valid():
        return _index(request, upload=upload, status=400)
    confirm = ConfirmPartnerForm(
        initial={"card_text": upload.cleaned_data["card"], "name": upload.cleaned_data["name"]}
    )
    return _compare(request, upload.parsed, upload.cleaned_data["name"], confirm)


def _compare(request, parsed: Card, name: str, confirm, status=200):
    return render(
        request,
        "partners/compare.html",
        {"parsed": parsed, "name": name, "form": confirm, "card": this_card()},
        status=status,
    )


@never_cache
@require_POST
@requires(Perm.PARTNERS_MANAGE)
def confirm(request):
    """Step two: the member compared the fingerprint and says so."""
    form = ConfirmPartnerForm(request.POST)
    if form.is_valid():
        try:
            partner = services.partner_add(
                actor=request.user,
                card_text=form.cleaned_data["card_text"],
                name=form.cleaned_data["name"],
                fingerprint_compared=form.cleaned_data["compared"],
            )
        except Refusal as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, _("%(name)s was added as a partner.") % {"name": partner})
            return redirect("partners:index")
    try:
        parsed = Card.parse(request.POST.get("card_text", ""))
    except Refusal as problem:
        messages.error(request, str(problem))
        return redirect("partners:index")
    return _compare(request, parsed, request.POST.get("name", ""), form, status=400)


@never_cache
@requires(Perm.PARTNERS_MANAGE)
def revoke(request, pk):
    partner = selectors.partner_for(request.user, pk)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_revoke(actor=request.user, partner=partner)
        except Refusal as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, _("%(name)s was revoked.") % {"name": partner})
            return redirect("partners:index")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "partners/revoke.html", {"partner": partner, "form": form}, status=status
    )


@never_cache
@require_POST
@requires(Perm.PARTNERS_MANAGE)
def import_view(request):
    importing = ImportForm(request.POST, request.FILES, prefix="import")
    if importing.is_valid():
        try:
            inbound = import_package(actor=request.user, source=importing.cleaned_data["package"])
        except Refusal as problem:
            importing.add_error("package", str(problem))
        else:
            if inbound.kind == PackageKind.RECEIPT:
                messages.success(request, _("The partner's answer was recorded."))
                return redirect("partners:index")
            messages.success(request, _("The package was checked and waits in the inbox."))
            return redirect("partners:package", inbound.pk)
    return _index(request, importing=importing, status=400)
