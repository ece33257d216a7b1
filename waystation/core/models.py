"""The worker's own rows (core/worker.py): the lease each running worker holds, and the
requests to cancel a task. No personal data: ids and times."""

from django.db import models
from django.utils import timezone


class WorkerLease(models.Model):
    """A running `waystation tasks work` (or a server's worker thread). On PostgreSQL the
    worker also holds a session-level advisory lock (``lock_key``) on a connection of its own,
    which the database lets go when that connection dies, ``kill -9`` included; the heartbeat
    is the second line of defence, for a machine that vanished without closing it."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    lock_key = models.IntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.worker_id


class TaskCancel(models.Model):
    """A member asked to stop this task: the worker running it notices at its next step."""

    task_id = models.UUIDField(primary_key=True)
    requested_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return str(self.task_id)


class LimitBucket(models.Model):
    """A token bucket of a shared limit (core/limits.py): on PostgreSQL an UNLOGGED table that
    every app server takes from. ``key`` is a keyed digest (HMAC under an instance sub-key) of
    what the limit counts: never an address or anything a visitor sent, in the clear. A row
    untouched for an hour is a full bucket, and is swept."""

    key = models.CharField(max_length=64, primary_key=True)
    tokens = models.FloatField()
    updated_at = models.DateTimeField()

    def __str__(self):
        return self.key[:12]
