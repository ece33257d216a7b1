"""Large imports in the background. Confirming a large file makes an ``ImportJob`` and queues
a task with the job's id; the worker reads the uploaded file from the encrypted blob store,
checks it again and writes it all or nothing, as the web import does.

Progress lives in this process's memory: ``outreach_import`` reports it inside its
transaction, and on SQLite no other connection could write a counter meanwhile. The job page
reads it when the worker is a thread of the same server (`waystation serve`); a separate
`waystation tasks work` process shows "running" until the job is done.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from waystation.core.blobstore import BlobMissing, blob_store
from waystation.core.worker import stopping

from . import services
from .models import ImportJob, ImportStatus
from .spreadsheet import mapping as column_mapping
from .spreadsheet.reading import SpreadsheetError, read_table
from .spreadsheet.rows import parse_rows

logger = logging.getLogger(__name__)

# job id -> (rows written, rows to write), while the job runs in this process
_LIVE: dict[int, tuple[int, int]] = {}


class _Stopped(Exception):
    """The worker was asked to stop: the import gives up and its transaction rolls back."""


def live_progress(job: ImportJob) -> tuple[int, int] | None:
    return _LIVE.get(job.pk)


def import_job_start(
    *, actor, blob: str, filename: str, columns: dict, rows: int, language: str
) -> ImportJob:
    """Queue the import of an uploaded file that waits in the blob store as ``blob``. The task
    gets the job's id only: task arguments are stored in the clear on PostgreSQL."""
    from .tasks import run_import_job

    with transaction.atomic():
        job = ImportJob.objects.create(
            started_by=actor,
            filename=filename[:255],
            blob=blob,
            columns=columns or {},
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


def _import(job: ImportJob) -> None:
    def progress(done: int, total: int) -> None:
        _LIVE[job.pk] = (done, total)
        if stopping():
            raise _Stopped

    try:
        table = read_table(b"".join(blob_store().open(job.blob)), job.filename)
        if job.columns:
            mapping = column_mapping.mapping_from_choice(
                table.headers, {name: int(index) for name, index in job.columns.items()}
            )
        else:
            mapping = column_mapping.guess_mapping(table.headers)
        if mapping.missing:
            raise services.OutreachError(
                _("Some columns could not be recognised; import the file again and choose them.")
            )
        plan = services.plan_check_cases(parse_rows(table, mapping))
        result = services.outreach_import(
            actor=job.started_by, plan=plan, filename=job.filename, progress=progress
        )
    except (services.OutreachError, SpreadsheetError, column_mapping.MappingError) as problem:
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
        _finish(job, ImportStatus.DONE)


def _finish(job: ImportJob, status: str, *, reason: str = "") -> None:
    job.status, job.reason, job.finished_at = status, reason[:500], timezone.now()
    job.save()
