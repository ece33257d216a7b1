"""Evidence's background task: asking the time-stamping authorities for the tokens that are
due (timestamping.py), queued when an ingest commits and by the worker's periodic check, which
also queues the daily token over the chain heads. Task arguments: none."""

from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from waystation.core.worker import every

from . import timestamping

CHECK_SECONDS = 60


@task()
def obtain_timestamps() -> int:
    return timestamping.fill_due()


@every(CHECK_SECONDS)
def queue_timestamps() -> None:
    """Queue the task when tokens are due (and the day's heads token when none was asked for
    in the last 24 hours), unless it is queued already."""
    if timestamping.daily_due():
        timestamping.queue_daily()
    if not timestamping.due().exists():
        return
    queued = DBTaskResult.objects.filter(
        task_path=obtain_timestamps.module_path, status=TaskResultStatus.READY
    )
    if not queued.exists():
        obtain_timestamps.enqueue()
