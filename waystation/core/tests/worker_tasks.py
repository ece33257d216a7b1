"""A task for the tests of several worker processes (test_workers_processes.py): it notes its
number and its process in files, so that a test sees which tasks ran, how often, and where."""

import os
import time

from django_tasks import task


@task()
def mark(n: int, log: str) -> int:
    time.sleep(0.02)  # long enough for two workers to be at it at once
    with open(log, "a") as out:
        out.write(f"{n}\n")
    with open(f"{log}.pids", "a") as out:
        out.write(f"{os.getpid()}\n")
    return n
