"""Runs in its own process with its own data directory (see bench/outreach.py): creates an
instance, imports the file, times the statistics page."""

import json
import resource
import sys
import time
from pathlib import Path

import django


def main(path: str) -> None:
    django.setup()
    from django.conf import settings
    from django.test import Client

    from waystation.accounts.models import User
    from waystation.accounts.policy import Perm, system_actor
    from waystation.core import spreadsheets as sheets
    from waystation.core.instance import instance_create
    from waystation.outreach.planning import outreach_review
    from waystation.outreach.services import outreach_import
    from waystation.outreach.spreadsheet.schema import SCHEMA

    actor = system_actor("bench.outreach", Perm.OUTREACH_EDIT)

    instance_create(settings.DATA_DIR, passphrase="benchmark instance", label="bench")
    # A caseworker reads the statistics too, and needs no second factor to sign in.
    reader = User.objects.create_user("bench", "a long bench password", roles=["caseworker"])
    data = Path(path).read_bytes()

    def statistics_page_seconds() -> float:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(reader)
        client.get("/outreach/statistics/")
        started = time.perf_counter()
        for _ in range(3):
            assert client.get("/outreach/statistics/").status_code == 200
        return (time.perf_counter() - started) / 3

    def plan_of(table):
        plan = sheets.check(table, SCHEMA, sheets.guess_mapping(SCHEMA, table.headers))
        outreach_review(plan)
        return plan

    small = sheets.read_table(data, SCHEMA)
    small.rows = small.rows[:1000]
    outreach_import(actor=actor, plan=plan_of(small), filename="s")
    stats_small = statistics_page_seconds()

    def cpu() -> float:  # this process and its finished children (the parser)
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    cpu_started = cpu()
    started = time.perf_counter()
    table = sheets.read_table(data, SCHEMA)
    read = time.perf_counter()
    plan = plan_of(table)
    parsed = time.perf_counter()
    assert not plan.rejected, plan.rejected[:3]
    outreach_import(actor=actor, plan=plan, filename=Path(path).name)
    written = time.perf_counter()
    cpu_used = cpu() - cpu_started
    stats_large = statistics_page_seconds()
    print(
        json.dumps(
            {
                "read": read - started,
                "check": parsed - read,
                "write": written - parsed,
                "cpu": cpu_used,
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "stats_small": stats_small,
                "stats_large": stats_large,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
