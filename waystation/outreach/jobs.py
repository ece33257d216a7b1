"""Large imports in the background. Confirming a large file makes an ``ImportJob`` and queues
a task with the job's id; the worker reads the uploaded file from the encrypted blob store,
checks it again with the reading the user confirmed, and writes it as the web import does:
all or nothing, or the good rows with the others kept as a file for the starter to download.

Progress lives in this process's memory: ``outreach_import`` reports it inside its
transaction, and on SQLite no other connection could write a counter meanwhile. The job page
reads it when the worker is a thread of the same server (`waystation serve`); a separate
`waystation tasks work` process shows "running" until the job is done.

A job stops at its next step of 1000 rows, writing nothing: when its worker is asked to stop
(the job goes back to the queue with its file, for another worker: ``Released``), or when the
member who may cancel it does (``import_job_cancel``; the job is failed with that reason and
its file deleted). A worker that dies during the import leaves the job to the others: queued
again (``import_job_requeue``) or, after the last try, failed (``import_job_abandoned``).
"""

import io
import logging
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from waystation.accounts.policy import Perm, check, get_for
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core import spreadsheets as sheets
from waystation.core.blobstore import BlobMissing, blob_store
from waystation.core.spreadsheets.web import attachment
from waystation.core.worker import Released, cancel_request, cancel_requested, cancelled, stopping

from . import planning, services
from .models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)

# job id -> (rows written, rows to write), while the job runs in this process
_LIVE: dict[int, tuple[int, int]] = {}


class _Stopped(Exception):
    """The worker was asked to stop: the import gives up and its transaction rolls back."""


class _Cancelled(Exception):
    """A member cancelled the import: it gives up and its transaction rolls back."""


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
    except _Stopped:
        # Nothing was written; another worker (or this one, restarted) takes the job again.
        import_job_requeue(job_id=job.pk)
        raise Released from None
    finally:
        _LIVE.pop(job.pk, None)
    _let_go(job)  # done or failed: the upload is not kept
    return job


def _let_go(job: ImportJob) -> None:
    """Delete the job's upload, unless another job still waiting or running has the same file
    (files are stored by their content: the same spreadsheet confirmed twice is one file)."""
    if job.blob and not ImportJob.objects.filter(
        blob=job.blob, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).exclude(pk=job.pk).exists():
        blob_store().delete(job.blob)


def import_job_requeue(*, job_id: int) -> None:
    """The job goes back to the queue, its file kept: its worker stopped or died before the
    import was written (core/worker.py queues its task again)."""
    ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).update(
        status=ImportStatus.QUEUED, started_at=None
    )


def import_job_cancel(*, actor, pk: int) -> ImportJob:
    """Cancel a queued or running background import, for whoever may import and may follow
    this job (its starter, coordinators): a queued job is failed at once, a running one stops
    at its next step, writing nothing; its file is deleted either way. Audited."""
    check(actor, Perm.OUTREACH_EDIT)
    job = get_for(actor, ImportJob.objects.all(), pk, Perm.SIGNED_IN)
    if job.finished:
        raise services.OutreachError(_("This import has finished already."))
    with transaction.atomic():
        found = cancel_request(job.task_id) if job.task_id else "queued"
        if found != "running":  # queued, or its task is over: the job ends here
            stopped = ImportJob.objects.filter(
                pk=job.pk, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
            ).update(
                status=ImportStatus.FAILED,
                reason=_cancelled_reason(job)[:500],
                finished_at=timezone.now(),
                blob="",
            )
            if stopped:
                transaction.on_commit(lambda: _let_go(job))
        record(Event.OUTREACH_IMPORT_CANCELLED, actor=actor, obj=job, data={"was": job.status})
    job.refresh_from_db()
    return job


def import_job_cancelling(job: ImportJob) -> bool:
    """Whether the job was asked to stop and its worker has not yet noticed."""
    return not job.finished and bool(job.task_id) and cancel_requested(job.task_id)


def _cancelled_reason(job: ImportJob) -> str:
    with translation.override(job.language or settings.LANGUAGE_CODE):
        return _("The import was cancelled; nothing was written.")


def import_job_abandoned(*, job_id: int, attempts: int = 1) -> None:
    """The worker died during the import as often as it may be tried (its transaction went
    with it, nothing was written): the job says so, and its uploaded file is not kept
    (core/worker.py, leases). Also for a job whose task is gone."""
    job = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).first()
    if job is None:
        return
    _let_go(job)
    job.blob = ""
    with translation.override(job.language or settings.LANGUAGE_CODE):
        reason = _(
            "The worker stopped while running this import; nothing was written."
        ) + " " + ngettext(
            "It was tried once. Import the file again.",
            "It was tried %(count)d times. Import the file again.",
            attempts,
        ) % {"count": attempts}
    _finish(job, ImportStatus.FAILED, reason=reason)


def import_jobs_orphaned() -> int:
    """Jobs left unfinished whose task is over or gone (a database restored without its
    queue, a task failed before it could say so): failed with a reason, their files deleted.
    Returns how many jobs there were."""
    live = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).values_list("pk", flat=True)
    live = {str(pk) for pk in live}
    settled = timezone.now() - timedelta(minutes=1)
    orphans = [
        job.pk
        for job in ImportJob.objects.filter(
            status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING], created_at__lt=settled
        ).only("pk", "task_id")
        if job.task_id not in live
    ]
    for job_id in orphans:
        import_job_abandoned(job_id=job_id)
    return len(orphans)


def _import(job: ImportJob) -> None:
    def progress(done: int, total: int) -> None:
        _LIVE[job.pk] = (done, total)
        if cancelled():
            raise _Cancelled
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
        raise  # nothing written: the job goes back to the queue (import_job_run)
    except _Cancelled:
        _finish(job, ImportStatus.FAILED, reason=_cancelled_reason(job))
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
