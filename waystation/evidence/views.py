"""Pages for testimonies, events and evidence items. Every page that shows a statement or an
item writes its audit row (and for an item, its custody entry) before the answer is made."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, can, get_for, requires
from waystation.core.paging import page_of
from waystation.core.uploads import received_files, use_encrypting_uploads

from . import metadata, proof_rows, proofmode, selectors, services
from .downloads import item_download_response
from .forms import (
    AddendumForm,
    ConsentForm,
    EventCorrectionForm,
    EventForm,
    EventLinkForm,
    EventWithdrawForm,
    HandoverForm,
    ItemOriginForm,
    ItemUploadForm,
    PersonConsentForm,
    ReceiveBackForm,
    TestimonyEventForm,
    TestimonyForm,
    VerificationForm,
)
from .models import Item, ItemKind, Testimony

PAGE_SIZE = 50
TABS = ("items", "testimonies", "events")


@requires(Perm.EVIDENCE_VIEW)
def index(request):
    tab = request.GET.get("tab", "items")
    tab = tab if tab in TABS else "items"
    if tab == "events" and not can(request.user, Perm.EVIDENCE_EDIT):
        tab = "items"
    codename = request.GET.get("case", "").strip()
    page = page_of(selectors.listing(request.user, tab, codename=codename), request.GET)
    return render(
        request,
        "evidence/index.html",
        {
            "tab": tab,
            "page": page,
            "case_filter": codename,
            "may_edit": can(request.user, Perm.EVIDENCE_EDIT),
            "may_export": can(request.user, Perm.EVIDENCE_EXPORT),
        },
    )


# -- items ------------------------------------------------------------------------------------


@requires(Perm.EVIDENCE_EDIT)
@csrf_exempt  # the upload handler must be in place before CSRF reads the body
def item_new(request):
    if request.method == "POST":
        use_encrypting_uploads(
            request,
            max_bytes=settings.EVIDENCE_MAX_UPLOAD_MB * 1024 * 1024,
            max_files=settings.EVIDENCE_MAX_FILES,
            any_type=True,
        )
    return _item_new(request)


@csrf_protect
def _item_new(request):
    cases = selectors.cases_to_document(request.user)
    initial = {"acquired_on": timezone.localdate(), "case": request.GET.get("case", "")}
    form = ItemUploadForm(
        request.POST if request.method == "POST" else None,  # bound even when empty: see below
        cases=cases,
        testimonies=selectors.witness_testimonies(request.user),
        initial=initial,
    )
    if request.method == "POST":
        files, refusals = received_files(request, "files")
        for refusal in refusals:
            form.add_error(None, refusal)
        if not files and not refusals:
            form.add_error(None, _("Choose at least one file."))
        if form.is_valid() and not refusals:
            data = form.cleaned_data
            ingested, problems = services.items_ingest_received(
                actor=request.user, received=files, **data
            )
            for problem in problems:
                messages.error(request, problem)
            if ingested:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s item received and hashed.",
                        "%(count)s items received and hashed.",
                        len(ingested),
                    )
                    % {"count": len(ingested)},
                )
                return redirect("evidence:item", pk=ingested[0].pk)
            return redirect(f"{request.path}?case={data['case'].codename}")
        status = 400
    else:
        status = 200
    return render(
        request,
        "evidence/item_form.html",
        {"form": form, "max_mb": settings.EVIDENCE_MAX_UPLOAD_MB},
        status=status,
    )


def _item_for(request, pk) -> Item:
    return get_for(request.user, Item.objects.select_related("case"), pk, Perm.EVIDENCE_VIEW)


def _item_page(
    request,
    item,
    *,
    verification_form=None,
    events_form=None,
    origin_form=None,
    handover_form=None,
    status=200,
):
    query = request.GET.get("q", "").strip()
    chat = None
    if item.kind == "chat_export":
        try:
            page_number = max(1, int(request.GET.get("page", 1)))
        except ValueError:
            page_number = 1
        lines, total = selectors.chat_lines(
            item, query=query, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE
        )
        chat = {
            "lines": lines,
            "total": total,
            "page": page_number,
            "query": query,
            "has_next": page_number * PAGE_SIZE < total,
        }
    may_edit = can(request.user, Perm.EVIDENCE_EDIT)
    events = selectors.events_for(request.user)
    handovers = selectors.handovers_of(item)
    out = next((h for h in handovers if h.is_out), None)
    return render(
        request,
        "evidence/item.html",
        {
            "handovers": handovers,
            "out": out,
            "handover_form": handover_form or (ReceiveBackForm() if out else HandoverForm()),
            "item": selectors.item_with_events(item),
            "metadata": _metadata_rows(item),
            "proofs": proof_rows.proofs_of(item),
            "custody": selectors.custody_of(request.user, item),
            "chat": chat,
            "may_edit": may_edit,
            "verification_form": verification_form
            or VerificationForm(initial={"status": item.verification}),
            "events_form": events_form
            or EventLinkForm(events=events, initial={"events": list(item.events.all())}),
            "origin_form": origin_form or _origin_form(request, item),
        },
        status=status,
    )


def _origin_form(request, item, data=None) -> ItemOriginForm:
    return ItemOriginForm(
        data,
        testimonies=selectors.witness_testimonies(request.user, not_case=item.case),
        initial={
            "origin": item.origin,
            "origin_testimony": str(item.origin_testimony_id or ""),
            "origin_organisation": item.origin_organisation,
            "terms_scope": item.terms_scope,
            "terms_courts": "\n".join(item.terms_courts),
        },
    )


def _metadata_rows(item: Item) -> list:
    return metadata.shown(item.extracted_metadata)


@never_cache
@requires(Perm.EVIDENCE_VIEW)
def item(request, pk):
    found = _item_for(request, pk)
    services.item_read(actor=request.user, item=found)
    return _item_page(request, found)


@never_cache
@requires(Perm.EVIDENCE_VIEW)
def item_download(request, pk):
    return item_download_response(actor=request.user, item=_item_for(request, pk))


@require_POST
@requires(Perm.EVIDENCE_EDIT)
def item_verification(request, pk):
    found = _item_for(request, pk)
    form = VerificationForm(request.POST)
    if not form.is_valid():
        return _item_page(request, found, verification_form=form, status=400)
    services.item_set_verification(
        actor=request.user,
        item=found,
        status=form.cleaned_data["status"],
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, _("Verification recorded in the chain of custody."))
    return redirect("evidence:item", pk=found.pk)


@require_POST
@requires(Perm.EVIDENCE_EDIT)
def item_known_key(request, pk):
    """Record a key a proof bundle carries as known for the item's case, once someone has
    compared its fingerprint with the witness's phone."""
    found = _item_for(request, pk)
    keys = proofmode.public_keys(found.blob) if found.kind == ItemKind.PROOF_BUNDLE else {}
    armored = keys.get(request.POST.get("fingerprint", ""))
    label = request.POST.get("label", "")
    if armored is None:
        messages.error(request, _("This bundle carries no such key."))
    elif not label.strip():
        messages.error(request, _("Say whose key it is."))
    else:
        services.known_key_record(actor=request.user, armored=armored, label=label, case=found.case)
        messages.success(
            request,
            _(
                "Key recorded as known for this case. Bundles taken in from now on are "
                "checked against it."
            ),
        )
    return redirect(reverse("evidence:item", args=[found.pk]) + "#proofs")


@require_POST
@requires(Perm.EVIDENCE_EDIT)
def item_events(request, pk):
    found = _item_for(request, pk)
    form = EventLinkForm(request.POST, events=selectors.events_for(request.user))
    if not form.is_valid():
        return _item_page(request, found, events_form=form, status=400)
    services.item_link_events(actor=request.user, item=found, events=form.cleaned_data["events"])
    messages.success(request, _("Events saved."))
    return redirect("evidence:item", pk=found.pk)


@require_POST
@requires(Perm.EVIDENCE_EDIT)
def item_origin(request, pk):
    found = _item_for(request, pk)
    form = _origin_form(request, found, request.POST)
    if form.is_valid():
        try:
            services.item_set_origin(actor=request.user, item=found, **form.cleaned_data)
        except services.EvidenceError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, _("Source and release terms recorded."))
            return redirect(f"{reverse('evidence:item', args=[found.pk])}#source")
    return _item_page(request, found, origin_form=form, status=400)


@require_POST
@requires(Perm.EVIDENCE_EDIT)
def item_handover(request, pk):
    """Hand the item's medium over, or record it received back: whichever the item's state
    calls for (the page shows one form or the other)."""
    found = _item_for(request, pk)
    out = selectors.current_handover(found) is not None
    form = (ReceiveBackForm if out else HandoverForm)(request.POST)
    if form.is_valid():
        try:
            if out:
                services.item_receive_back(actor=request.user, item=found, **form.cleaned_data)
            else:
                services.item_transfer(actor=request.user, item=found, **form.cleaned_data)
        except services.EvidenceError as problem:
            form.add_error(None, str(problem))
        else:
            done = _("Received back: recorded in the chain of custody.") if out else _(
                "Handed over: recorded in the chain of custody."
            )
            messages.success(request, done)
            return redirect(f"{reverse('evidence:item', args=[found.pk])}#custody")
    return _item_page(request, found, handover_form=form, status=400)


@never_cache
@requires(Perm.EVIDENCE_EDIT)
def person_consent(request, pk):
    """The consent of the person of a case for the items that came from him."""
    case = get_object_or_404(selectors.cases_to_document(request.user), pk=pk)
    consent = selectors.person_consent_of(case)
    form = PersonConsentForm(
        request.POST or None,
        initial={
            "scope": consent.scope,
            "courts": "\n".join(consent.courts),
            "withdrawn_on": consent.withdrawn_on,
        }
        if consent
        else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.person_consent_record(actor=request.user, case=case, **form.cleaned_data)
        except services.EvidenceError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("evidence:person_consent", pk=case.pk)
    return render(
        request,
        "evidence/person_consent.html",
        {
            "case": case,
            "consent": consent,
            "form": form,
            "items": selectors.items_from_person(request.user, case),
        },
        status=400 if form.errors else 200,
    )


# -- testimonies ------------------------------------------------------------------------------


@requires(Perm.EVIDENCE_EDIT)
def testimony_new(request):
    cases = selectors.cases_to_document(request.user)
    events = selectors.events_for(request.user)
    initial = {
        "interviewed_on": timezone.localdate(),
        "interviewer": request.user.pk,
        "case": request.GET.get("case", ""),
    }
    form = TestimonyForm(request.POST or None, cases=cases, events=events, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        event, role = data.pop("event"), data.pop("role")
        testimony = services.testimony_record(
            actor=request.user, events=[(event, role)] if event else [], **data
        )
        messages.success(request, _("Testimony recorded."))
        return redirect("evidence:testimony", pk=testimony.pk)
    return render(
        request,
        "evidence/testimony_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _testimony_for(request, pk) -> Testimony:
    return get_for(
        request.user,
        Testimony.objects.select_related("case", "interviewer"),
        pk,
        Perm.EVIDENCE_VIEW,
    )


def _testimony_page(
    request, testimony, *, consent_form=None, event_form=None, addendum_form=None, status=200
):
    events = selectors.events_for(request.user)
    return render(
        request,
        "evidence/testimony.html",
        {
            "testimony": testimony,
            "addenda": selectors.testimony_addenda(testimony),
            "addendum_form": addendum_form or AddendumForm(),
            "links": selectors.testimony_events(testimony),
            "may_edit": can(request.user, Perm.EVIDENCE_EDIT),
            "consent_form": consent_form
            or ConsentForm(
                initial={
                    "consent_scope": testimony.consent_scope,
                    "consent_body": testimony.consent_body,
                    "withdraw": testimony.consent_withdrawn,
                }
            ),
            "event_form": event_form or TestimonyEventForm(events=events),
        },
        status=status,
    )


@never_cache
@requires(Perm.EVIDENCE_VIEW)
def testimony(request, pk):
    found = _testimony_for(request, pk)
    services.testimony_read(actor=request.user, testimony=found)
    return _testimony_page(request, found)


@require_POST
@requires(Perm.EVIDENCE_EDIT)
def testimony_consent(request, pk):
    found = _testimony_for(request, pk)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        return _testimony_page(request, found, consent_form=form, status=400)
    services.testimony_consent_update(
        actor=request.user,
        testimony=found,
        scope=form.cleaned_data["consent_scope"],
        body=form.cleaned_data["consent_body"],
        withdraw=form.cleaned_data["withdraw"],
    )
    messages.success(request, _("Consent recorded."))
    return redirect("evidence:testimony", pk=found.pk)


@require_POST
@requires(Perm.EVIDENCE_EDIT)
def testimony_correction(request, pk):
    found = _testimony_for(request, pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.testimony_add_correction(
                actor=request.user, testimony=found, **form.cleaned_data
            )
        except services.EvidenceError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, _("Correction added. The statement stays as it was taken."))
            return redirect(f"{reverse('evidence:testimony', args=[found.pk])}#corrections")
    return _testimony_page(request, found, addendum_form=form, status=400)


@require_POST
@requires(Perm.EVIDENCE_EDIT)
def testimony_event(request, pk):
    found = _testimony_for(request, pk)
    form = TestimonyEventForm(request.POST, events=selectors.events_for(request.user))
    if not form.is_valid():
        return _testimony_page(request, found, event_form=form, status=400)
    services.testimony_link_event(actor=request.user, testimony=found, **form.cleaned_data)
    messages.success(request, _("Event linked."))
    return redirect("evidence:testimony", pk=found.pk)


# -- events -----------------------------------------------------------------------------------


@requires(Perm.EVIDENCE_EDIT)
def event_new(request):
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_record(actor=request.user, **form.cleaned_data)
        except services.EvidenceError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, _("Event recorded."))
            return redirect("evidence:event", pk=event.pk)
    return render(
        request, "evidence/event_form.html", {"form": form}, status=400 if form.errors else 200
    )


def _event_page(request, pk, *, correction_form=None, withdraw_form=None, status=200):
    found, history = selectors.event_with_history(request.user, pk)
    links, items = selectors.event_links(request.user, found)
    return render(
        request,
        "evidence/event.html",
        {
            "event": found,
            "links": links,
            "items": items,
            "history": history,
            "correction_form": correction_form
            or EventCorrectionForm(initial=selectors.event_values(found)),
            "withdraw_form": withdraw_form or EventWithdrawForm(),
        },
        status=status,
    )


@never_cache
@requires(Perm.EVIDENCE_EDIT)
def event(request, pk):
    return _event_page(request, pk)


@never_cache
@requires(Perm.EVIDENCE_EDIT)
def events_withdrawn(request):
    page = page_of(selectors.withdrawn_events(request.user), request.GET)
    return render(request, "evidence/events_withdrawn.html", {"page": page})


@require_POST
@requires(Perm.EVIDENCE_EDIT)
def event_correct(request, pk):
    found, _history = selectors.event_with_history(request.user, pk)
    form = EventCorrectionForm(request.POST)
    if form.is_valid():
        fields = dict(form.cleaned_data)
        reason = fields.pop("reason")
        try:
            services.event_correct(actor=request.user, event=found, reason=reason, **fields)
        except services.EvidenceError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, _("Event corrected; the earlier version is kept."))
            return redirect("evidence:event", pk=found.pk)
    return _event_page(request, pk, correction_form=form, status=400)


@require_POST
@requires(Perm.EVIDENCE_EDIT)
def event_withdraw(request, pk):
    found, _history = selectors.event_with_history(request.user, pk)
    form = EventWithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.event_withdraw(actor=request.user, event=found, **form.cleaned_data)
        except services.EvidenceError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, _("Event withdrawn; it stays in its history."))
            return redirect("evidence:event", pk=found.pk)
    return _event_page(request, pk, withdraw_form=form, status=400)
