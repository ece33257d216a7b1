"""Large imports in the background. Confirming a large file makes an ``ImportJob`` and queues
a task with the job's id; the worker reads the uploaded file from the encrypted blob store,
checks it again with the reading the user confirmed, and writes it as the web import does:
all or nothing, or the good rows with the others kept as a file for the starter to download.

Progress lives in this process's memory: ``outreach_import`` reports it inside its
transaction, and on SQLite no other connection could write a counter meanwhile. The job page
reads it when the worker is a thread of the same server (`waystation serve`); a separate
`waystation tasks work` process shows "running" until the job is done.
"""

import io
import logging
from pathlib import PurePath

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from waystation.core import spreadsheets as sheets
from waystation.core.blobstore import BlobMissing, blob_store
from waystation.core.spreadsheets.web import attachment
from waystation.core.worker import stopping

from . import planning, services
from .models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)

# job id -> (rows written, rows to write), while the job runs in this process
_LIVE: dict[int, tuple[int, int]] = {}


class _Stopped(Exception):
    """The worker was asked to stop: the import gives up and its transaction rolls back."""


def live_progress(job: ImportJob) -> tuple[int, int] | None:
    return _LIVE.get(job.pk)


def import_job_start(
    *, actor, blob: str, filename: str, reading: dict, rows: int, language: str
) -> ImportJob:
    """Queue the import of an uploaded file that waits in the blob store as ``blob``. The task
    gets the job's id only: task arguments are stored in the clear on PostgreSQL."""
    from .tasks import run_import_job  # tasks imports this module: the cycle stops here

    with transaction.atomic():
        job = ImportJob.objects.create(
            started_by=actor,
            filename=filename[:255],
            blob=blob,
            reading=reading or {},
            rows_total=rows,
            language=language[:10],
        )
        job.task_id = str(run_import_job.enqueue(job.pk).id)
        job.save(update_fields=["task_id"])
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """Run one queued import job (the task's body). A job runs once: asked again, it returns
    the job as it is."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    job = ImportJob.objects.select_related("started_by").get(pk=job_id)
    if not claimed:
        return job
    _LIVE[job.pk] = (0, job.rows_total)
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            _import(job)
    finally:
        _LIVE.pop(job.pk, None)
        if job.blob:
            blob_store().delete(job.blob)  # done or failed: the upload is not kept
    return job


def import_job_abandoned(*, job_id: int) -> None:
    """The worker died during the import (its transaction went with it, nothing was written):
    the job says so, and its uploaded file is not kept (core/worker.py, leases)."""
    job = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).first()
    if job is None:
        return
    if job.blob:
        blob_store().delete(job.blob)
        job.blob = ""
    with translation.override(job.language or settings.LANGUAGE_CODE):
        reason = _(
            "The server stopped during the import; nothing was written. Import the file again."
        )
    _finish(job, ImportStatus.FAILED, reason=reason)


def _import(job: ImportJob) -> None:
    def progress(done: int, total: int) -> None:
        _LIVE[job.pk] = (done, total)
        if stopping():
            raise _Stopped

    reading = job.reading or {}
    mode = reading.get("mode") or sheets.ALL_OR_NOTHING
    try:
        plan = planning.outreach_plan(
            b"".join(blob_store().open(job.blob)),
            options=sheets.ReadOptions(
                encoding=reading.get("encoding"),
                delimiter=reading.get("delimiter"),
                header_row=reading.get("header_row"),
            ),
            choice=reading.get("choice"),
        )
        result = services.outreach_import(
            actor=job.started_by, plan=plan, filename=job.filename, mode=mode, progress=progress
        )
    except (services.OutreachError, sheets.SpreadsheetError, sheets.MappingError) as problem:
        _finish(job, ImportStatus.FAILED, reason=str(problem))
    except BlobMissing:
        _finish(job, ImportStatus.FAILED, reason=_("The uploaded file is gone; upload it again."))
    except _Stopped:
        _finish(
            job,
            ImportStatus.FAILED,
            reason=_(
                "The server stopped during the import; nothing was written. Import the file again."
            ),
        )
    except Exception as problem:
        # Messages of unexpected errors may quote the file: the log gets the kind only.
        logger.error("background import %s failed (%s)", job.pk, type(problem).__name__)
        _finish(
            job,
            ImportStatus.FAILED,
            reason=_("The import failed unexpectedly; nothing was written."),
        )
    else:
        job.batch = result.batch
        job.approaches = result.approaches
        job.responses = result.responses
        job.new_organisations = result.new_organisations
        job.already_logged = result.already_logged
        if plan.rejected:
            content, extension, _type = sheets.rejected_file(plan)
            job.rejected_blob = blob_store().put(io.BytesIO(content)).name
            job.rejected_name = f"{PurePath(job.filename).stem or 'import'}-rejected.{extension}"
            job.rejected_rows = len(plan.rejected)
        _finish(job, ImportStatus.DONE)


def _finish(job: ImportJob, status: str, *, reason: str = "") -> None:
    job.status, job.reason, job.finished_at = status, reason[:500], timezone.now()
    job.save()


def import_job_rejected_response(job: ImportJob) -> HttpResponse | None:
    """The file of the rows a background "good rows" import left out, as a download. It is
    given once and then deleted: it may hold what the rows named."""
    if not job.rejected_blob:
        return None
    try:
        content = b"".join(blob_store().open(job.rejected_blob))
    except BlobMissing:
        content = None
    blob_store().delete(job.rejected_blob)
    job.rejected_blob = ""
    job.save(update_fields=["rejected_blob"])
    return None if content is None else attachment(content, job.rejected_name)
