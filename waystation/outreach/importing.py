"""The web import: upload → (column mapping) → dry run → confirm. The uploaded file waits in
the encrypted blob store between the steps, never in the clear on disk, and is deleted when
the import is confirmed or abandoned. A file of more than IMPORT_BACKGROUND_ROWS rows is
written by the background worker; its job page shows the progress."""

import io

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, requires
from waystation.core.blobstore import BlobMissing, blob_store

from . import services
from .forms import ImportUploadForm
from .jobs import import_job_start, live_progress
from .models import Channel, ImportStatus, ResponseKind
from .selectors import import_job_for, import_jobs_for, organisations_of_batch
from .spreadsheet import mapping as column_mapping
from .spreadsheet.reading import MAX_INPUT_BYTES, SpreadsheetError, read_table
from .spreadsheet.rows import parse_rows

_PENDING = "outreach_import"
_PREVIEW_ROWS = 30


def _discard(request) -> None:
    pending = request.session.pop(_PENDING, None)
    if pending:
        blob_store().delete(pending["blob"])


def _pending_table(request):
    pending = request.session.get(_PENDING)
    if not pending:
        return None, None
    try:
        data = b"".join(blob_store().open(pending["blob"]))
    except BlobMissing:
        request.session.pop(_PENDING, None)
        return None, None
    return pending, read_table(data, pending["filename"])


def _in_background(table) -> bool:
    return len(table.rows) > settings.IMPORT_BACKGROUND_ROWS


def _plan(pending, table):
    if pending.get("choice"):
        mapping = column_mapping.mapping_from_choice(table.headers, pending["choice"])
    else:
        mapping = column_mapping.guess_mapping(table.headers)
    if mapping.missing:
        return mapping, None
    return mapping, services.plan_check_cases(parse_rows(table, mapping))


@requires(Perm.OUTREACH_EDIT)
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_INPUT_BYTES:
            form.add_error(
                "file",
                _("The file is larger than %(mb)d MB; split it into parts.")
                % {"mb": MAX_INPUT_BYTES // (1 << 20)},
            )
        else:
            data = upload.read()
            try:
                read_table(data, upload.name)  # refuse what is not a spreadsheet at once
            except SpreadsheetError as problem:
                form.add_error("file", str(problem))
            else:
                _discard(request)
                stored = blob_store().put(io.BytesIO(data))
                request.session[_PENDING] = {"blob": stored.name, "filename": upload.name[:200]}
                return redirect("outreach:import_preview")
    return render(
        request,
        "outreach/import_upload.html",
        {"form": form, "jobs": import_jobs_for(request.user)},
    )


@requires(Perm.OUTREACH_EDIT)
def import_preview(request):
    try:
        pending, table = _pending_table(request)
    except SpreadsheetError as problem:  # checked at upload; only a changed parser gets here
        _discard(request)
        messages.error(request, str(problem))
        return redirect("outreach:import")
    if pending is None:
        return redirect("outreach:import")
    if request.method == "POST":  # the user chose columns by hand
        choice = {
            field: int(request.POST[field])
            for field in column_mapping.FIELDS
            if request.POST.get(field, "").isdigit()
        }
        try:
            column_mapping.mapping_from_choice(table.headers, choice)
        except column_mapping.MappingError as problem:
            messages.error(request, str(problem))
        else:
            request.session[_PENDING] = {**pending, "choice": choice}
            return redirect("outreach:import_preview")
    mapping, plan = _plan(pending, table)
    return render(
        request,
        "outreach/import_preview.html",
        {
            "filename": pending["filename"],
            "headers": list(enumerate(table.headers)),
            "mapping": mapping,
            "fields": [(name, column_mapping.FIELD_LABELS[name]) for name in column_mapping.FIELDS],
            "plan": plan,
            "background": _in_background(table),
            "preview": [
                (row, Channel(row.channel).label, ResponseKind(row.response_kind).label)
                for row in (plan.rows[:_PREVIEW_ROWS] if plan else [])
            ],
        },
    )


@require_POST
@requires(Perm.OUTREACH_EDIT)
def import_confirm(request):
    try:
        pending, table = _pending_table(request)
    except SpreadsheetError:
        pending = None
    if pending is None:
        messages.error(request, _("The uploaded file is gone; upload it again."))
        return redirect("outreach:import")
    if _in_background(table):
        job = import_job_start(
            actor=request.user,
            blob=pending["blob"],
            filename=pending["filename"],
            columns=pending.get("choice") or {},
            rows=len(table.rows),
            language=get_language() or settings.LANGUAGE_CODE,
        )
        request.session.pop(_PENDING, None)  # the job owns the upload now
        return redirect("outreach:import_job", pk=job.pk)
    _mapping, plan = _plan(pending, table)
    try:
        result = services.outreach_import(
            actor=request.user, plan=plan, filename=pending["filename"]
        )
    except services.OutreachError as problem:
        messages.error(request, str(problem))
        return redirect("outreach:import_preview")
    _discard(request)
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
    return redirect("outreach:directory")


@require_POST
@requires(Perm.OUTREACH_EDIT)
def import_cancel(request):
    _discard(request)
    messages.info(request, _("The import was cancelled; nothing was written."))
    return redirect("outreach:directory")


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
        },
    )
