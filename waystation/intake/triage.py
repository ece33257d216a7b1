"""The coordinators' triage queue: read, answer, ask, decline kindly, mark spam, or open a case."""

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, can, requires
from waystation.cases.services import CaseError
from waystation.core.blobstore import blob_store
from waystation.core.paging import page_of
from waystation.core.posts import arrived_incomplete
from waystation.core.refusals import Refusal

from . import services
from .forms import ConvertForm, EvidenceForm, StaffReplyForm
from .selectors import QUEUES, attachment_for, queue_for, request_for

PAGE_SIZE = 50


@requires(Perm.INTAKE_TRIAGE)
def queue(request):
    name = request.GET.get("queue", "open")
    name = name if name in QUEUES else "open"
    page = page_of(queue_for(request.user, name), request.GET, size=PAGE_SIZE)
    return render(
        request,
        "intake/queue.html",
        {
            "page": page,
            "queue": name,
            "params": f"queue={name}",
            "today": timezone.localdate(),
        },
    )


def _request_page(
    request, item, *, reply_form=None, convert_form=None, evidence=None, status=200
):
    """``evidence``: (attachment id, its bound form with errors) after a refused taking."""
    failed_id, failed_form = evidence or (None, None)
    thread = list(item.messages.select_related("author").prefetch_related("attachments"))
    may_take = can(request.user, Perm.EVIDENCE_EDIT)
    for number, file in enumerate(
        f for message in thread if message.from_requester for f in message.attachments.all()
    ):
        if may_take and not file.evidence_item:
            # Each file its own form, with ids of its own on the one page.
            file.evidence_form = (
                failed_form
                if file.pk == failed_id
                else EvidenceForm(consent=file.consent_scope, auto_id=f"id_ev{number}_%s")
            )
            file.evidence_failed = file.pk == failed_id
    return render(
        request,
        "intake/request.html",
        {
            "item": item,
            "thread_messages": thread,
            "reply_form": reply_form or StaffReplyForm(),
            "convert_form": convert_form or ConvertForm(),
        },
        status=status,
    )


@never_cache
@requires(Perm.INTAKE_TRIAGE)
def request_page(request, pk):
    item = request_for(request.user, pk)
    services.request_open(actor=request.user, request=item)
    return _request_page(request, item)


@require_POST
@requires(Perm.INTAKE_TRIAGE)
def reply(request, pk):
    item = request_for(request.user, pk)
    form = StaffReplyForm(request.POST)
    if not form.is_valid():
        return _request_page(request, item, reply_form=form, status=400)
    services.staff_reply(actor=request.user, request=item, **form.cleaned_data)
    messages.success(request, _("Sent. The requester sees it after typing the codename."))
    return redirect("triage:request", pk=item.pk)


@require_POST
@requires(Perm.INTAKE_TRIAGE)
def mark_spam(request, pk):
    item = request_for(request.user, pk)
    services.request_mark_spam(actor=request.user, request=item)
    messages.success(request, _("Marked as spam. It comes back if the sender writes again."))
    return redirect("triage:queue")


@require_POST
@requires(Perm.INTAKE_TRIAGE)
def convert(request, pk):
    item = request_for(request.user, pk)
    form = ConvertForm(request.POST)
    if arrived_incomplete(form):
        form.is_valid()  # errors can be added to a checked form only
        form.add_error(
            None,
            _(
                "The form arrived incomplete, so nothing was changed. Reload the page and try "
                "again."
            ),
        )
    elif form.is_valid():
        try:
            case = services.request_convert_to_case(
                actor=request.user, request=item, codename=form.cleaned_data["codename"] or None
            )
        except CaseError as problem:
            form.add_error("codename", str(problem))
        except services.IntakeError:
            form.add_error(None, _("This request is already a case."))
        else:
            messages.success(
                request,
                _("Case %(codename)s opened from the request.") % {"codename": case.codename},
            )
            return redirect("cases:case", pk=case.pk)
    return _request_page(request, item, convert_form=form, status=400)


def download_name(item, *, original: bool) -> str:
    """The sender's name, made safe to show when it was received (core/uploads.display_name).
    Where the original is kept beside the copy without its metadata, the two downloads are
    named apart ("gps (original).jpg", "gps (without metadata).jpg"): the same name for both
    made them easy to mix up, and to pass on the one with the place it was taken."""
    name = item.name or f"file-{str(item.pk)[:8]}"
    if not item.original_blob:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    which = _("original") if original else _("without metadata")
    return f"{stem} ({which}){'.' + extension if extension else ''}"


@never_cache
@requires(Perm.INTAKE_TRIAGE)
def attachment(request, pk):
    """A file as the group sees it (images without their metadata), audited; the original only
    with ?original=1 and only where the sender agreed to keep it."""
    item = attachment_for(request.user, pk)
    name, original = services.attachment_read(
        actor=request.user, attachment=item, original=request.GET.get("original") == "1"
    )
    response = StreamingHttpResponse(blob_store().open(name), content_type=item.media_type)
    response["Content-Disposition"] = content_disposition_header(
        True, download_name(item, original=original)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@requires(Perm.EVIDENCE_EDIT)
@requires(Perm.INTAKE_TRIAGE)
def to_evidence(request, pk):
    """Take a requester's file into the evidence vault of a case (``EvidenceForm``)."""
    attachment = attachment_for(request.user, pk)
    item = attachment.message.request
    form = EvidenceForm(request.POST, consent=attachment.consent_scope, auto_id="id_ev_%s")
    if form.is_valid():
        try:
            taken = services.attachment_to_evidence(
                actor=request.user,
                attachment=attachment,
                case_codename=form.cleaned_data["case"],
                courts=form.cleaned_data["courts"].splitlines(),
            )
        except Refusal as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(
                request,
                _("Taken into the evidence vault of %(codename)s.")
                % {"codename": taken.case.codename},
            )
            return redirect("evidence:item", pk=taken.pk)
    return _request_page(request, item, evidence=(attachment.pk, form), status=400)
