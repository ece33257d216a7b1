"""Outreach's background tasks (django-tasks, database backend) and the worker's weekly check
for the digest. Task arguments are ids only."""

from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from waystation.accounts.policy import Perm, system_actor
from waystation.core.worker import every, on_abandoned

from .digest import digest_due, outreach_digest_build
from .jobs import import_job_abandoned, import_job_requeue, import_job_run, import_jobs_orphaned
from .models import ImportStatus

DIGEST_CHECK_SECONDS = 3600
ORPHANS_CHECK_SECONDS = 3600
# The worker builds the weekly digest; it may do that and nothing else. (An import job acts as
# the member who started it.)
DIGEST_ACTOR = system_actor("task.outreach.digest", Perm.OUTREACH_DIGEST)


class ImportJobFailed(Exception):
    """The job page has the reason; the task's own record names only the job."""


@task()
def build_weekly_digest() -> int:
    return outreach_digest_build(actor=DIGEST_ACTOR).pk


@task()
def run_import_job(job_id: int) -> str:
    job = import_job_run(job_id=job_id)
    if job.status == ImportStatus.FAILED:
        raise ImportJobFailed(f"import job {job_id} failed")
    return job.status


def _import_job_requeued(args_kwargs: dict) -> None:
    import_job_requeue(job_id=args_kwargs["args"][0])


@on_abandoned(run_import_job.module_path, before_retry=_import_job_requeued)
def _import_job_abandoned(args_kwargs: dict, attempts: int) -> None:
    import_job_abandoned(job_id=args_kwargs["args"][0], attempts=attempts)


@every(ORPHANS_CHECK_SECONDS)
def fail_orphaned_import_jobs() -> None:
    """Jobs whose task is gone or over: failed, their files deleted."""
    import_jobs_orphaned()


@every(DIGEST_CHECK_SECONDS)
def queue_weekly_digest() -> None:
    """Queue this week's digest unless it is built or queued already."""
    if not digest_due():
        return
    queued = DBTaskResult.objects.filter(
        task_path=build_weekly_digest.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    )
    if not queued.exists():
        build_weekly_digest.enqueue()
