"""The web import: upload → preview (how the file was read and which column holds what, all
changeable, every refused row with every reason) → confirm. The uploaded file waits in the
encrypted blob store between the steps, never in the clear on disk, and is deleted when the
import is confirmed or cancelled (core/spreadsheets/web.py). A file of more than
IMPORT_BACKGROUND_ROWS rows is written by the background worker; its job page shows the
progress."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, can, requires
from waystation.core import spreadsheets as sheets
from waystation.core.spreadsheets.web import (
    PendingImport,
    build_preview,
    chosen_mode,
    preview_to_confirm,
    rejected_summary,
    upload_refusal,
)

from . import planning, services
from .forms import ImportUploadForm
from .jobs import import_job_cancel as cancel_job
from .jobs import (
    import_job_cancelling,
    import_job_rejected_response,
    import_job_start,
    live_progress,
)
from .models import Channel, ImportStatus, ResponseKind
from .selectors import import_job_for, import_jobs_for, organisations_of_batch
from .spreadsheet.schema import SCHEMA, approach_rows, organisation_count

_KIND = "outreach"
_PREVIEW_ROWS = 30


def _in_background(plan) -> bool:
    return len(plan.records) + len(plan.rejected) > settings.IMPORT_BACKGROUND_ROWS


@requires(Perm.OUTREACH_EDIT)
def import_upload(request):
    pending = PendingImport(request, _KIND)
    posted = request.method == "POST"
    form = ImportUploadForm(request.POST, request.FILES) if posted else ImportUploadForm()
    if posted:
        refusal = upload_refusal(request, request.FILES.get("file"))
        if refusal:
            form.is_valid()
            form.errors.pop("file", None)  # not "This field is required": it was too large
            form.add_error("file", refusal)
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            try:
                sheets.read_grid(data)  # refuse what is not a spreadsheet at once
            except sheets.SpreadsheetError as problem:
                form.add_error("file", str(problem))
            else:
                pending.start(data, upload.name)
                return redirect("outreach:import_preview")
    return render(
        request,
        "outreach/import_upload.html",
        {"form": form, "jobs": import_jobs_for(request.user), "rejected": pending.rejected},
    )


@requires(Perm.OUTREACH_EDIT)
def import_preview(request):
    pending = PendingImport(request, _KIND)
    if not pending:
        return redirect("outreach:import")
    if request.method == "POST":  # "Check again" with the user's corrections
        for problem in pending.correct(request.POST, SCHEMA):
            messages.error(request, problem)
        return redirect("outreach:import_preview")
    preview = build_preview(pending, SCHEMA, review=planning.outreach_review)
    plan = preview.plan
    rows = approach_rows(plan.records[:_PREVIEW_ROWS]) if plan else []
    return render(
        request,
        "outreach/import_preview.html",
        {
            **preview.context(),
            "confirm_url": reverse("outreach:import_confirm"),
            "cancel_url": reverse("outreach:import_cancel"),
            "organisations": organisation_count(plan.records) if plan else 0,
            "background": plan is not None and _in_background(plan),
            "preview": [
                (row, Channel(row.channel).label, ResponseKind(row.response_kind).label)
                for row in rows
            ],
        },
    )


@require_POST
@requires(Perm.OUTREACH_EDIT)
def import_confirm(request):
    pending = PendingImport(request, _KIND)
    mode = chosen_mode(request.POST)
    preview, problem = preview_to_confirm(pending, SCHEMA, review=planning.outreach_review)
    if preview is None:
        messages.error(request, problem)
        return redirect("outreach:import_preview" if pending else "outreach:import")
    plan = preview.plan
    try:
        plan.refuse_unless_importable(mode)
    except sheets.ImportRefused as problem:
        messages.error(request, str(problem))
        return redirect("outreach:import_preview")
    if _in_background(plan):
        options = pending.options()
        job = import_job_start(
            actor=request.user,
            blob=pending.state["blob"],
            filename=pending.filename,
            reading={
                "encoding": options.encoding,
                "delimiter": options.delimiter,
                "header_row": options.header_row,
                "choice": preview.mapping.columns if preview.mapping.chosen else None,
                "mode": mode,
            },
            rows=len(plan.records) + len(plan.rejected),
            language=get_language() or settings.LANGUAGE_CODE,
        )
        pending.hand_over()  # the job owns the upload now
        return redirect("outreach:import_job", pk=job.pk)
    try:
        result = services.outreach_import(
            actor=request.user, plan=plan, filename=pending.filename, mode=mode
        )
    except services.OutreachError as problem:
        messages.error(request, str(problem))
        return redirect("outreach:import_preview")
    pending.finish(plan, mode)
    messages.success(
        request,
        _(
            "Imported %(approaches)d approaches (%(organisations)d new organisations, "
            "%(responses)d responses); %(already)d rows were in the log already."
        )
        % {
            "approaches": result.approaches,
            "organisations": result.new_organisations,
            "responses": result.responses,
            "already": result.already_logged,
        },
    )
    if pending.rejected:
        messages.warning(request, rejected_summary(len(plan.rejected)))
        return redirect("outreach:import")
    return redirect("outreach:directory")


@requires(Perm.OUTREACH_EDIT)
def import_rejected(request):
    """The rows a "good rows" import left out, as a file in the format they came in."""
    response = PendingImport(request, _KIND).rejected_response()
    if response is None:
        raise Http404
    return response


@require_POST
@requires(Perm.OUTREACH_EDIT)
def import_cancel(request):
    pending = PendingImport(request, _KIND)
    had_file = bool(pending)
    pending.discard()
    if had_file:
        messages.info(request, _("The import was cancelled; nothing was written."))
        return redirect("outreach:directory")
    return redirect("outreach:import")


@requires(Perm.SIGNED_IN)
def import_job(request, pk):
    """A background import: queued, running (rows written of all), done or failed. Refreshes
    itself every few seconds with a meta tag until it is finished: no JavaScript."""
    job = import_job_for(request.user, pk)
    progress = live_progress(job) if job.status == ImportStatus.RUNNING else None
    done = job.status == ImportStatus.DONE
    return render(
        request,
        "outreach/import_job.html",
        {
            "job": job,
            "progress": progress,
            "percent": round(100 * progress[0] / progress[1]) if progress and progress[1] else 0,
            "organisations": organisations_of_batch(request.user, job.batch) if done else [],
            "can_cancel": not job.finished and can(request.user, Perm.OUTREACH_EDIT),
            "cancelling": import_job_cancelling(job),
        },
    )


@require_POST
@requires(Perm.OUTREACH_EDIT)
def import_job_cancel(request, pk):
    """Cancel a queued or running background import (a form on its page)."""
    try:
        job = cancel_job(actor=request.user, pk=pk)
    except services.OutreachError as problem:
        messages.error(request, str(problem))
    else:
        if not job.finished:  # its worker has it: it stops at its next step
            messages.info(
                request, _("The import stops at its next step; nothing of it will be written.")
            )
        else:
            messages.info(request, _("The import was cancelled; nothing was written."))
    return redirect("outreach:import_job", pk)


@requires(Perm.SIGNED_IN)
def import_job_rejected(request, pk):
    """The rows a background "good rows" import left out, for whoever started it."""
    job = import_job_for(request.user, pk)
    if job.started_by_id != request.user.pk:
        raise Http404
    response = import_job_rejected_response(job)
    if response is None:
        raise Http404
    return response
