"""The API's case list at 100,000 cases against the same call at 100 (requests/s), for a
coordinator's token (every case visible), in one run on one instance.

The instance grows in place: 100 synthetic cases are measured, then cases are added up to the
large size and the same calls are measured again: the first page of the list, a filtered list
(status) and a page deep in it. Calls go through Django's test client in a worker process
(middleware, the token's check, rate limit and audit, the policy, ninja's validation and JSON;
no HTTP server), so the ratio shows what the data size costs. WAYSTATION_BENCH_CASES=N scales
the large stage down. Goal: large ÷ small ≥ 0.5 for each call.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.report import ratio_line, table
from bench.workers import run_worker

LARGE_CASES = int(os.environ.get("WAYSTATION_BENCH_CASES", "100000"))
SMALL_CASES = 100
GOAL = 0.5
SECONDS = 2.0
ROUNDS = 3
CALLS = {
    "list": "/api/v1/cases/",
    "list, one status": "/api/v1/cases/?status=in_transit",
    "list, page 2": "/api/v1/cases/?page=2&sort=updated",
}


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="waystation-bench-") as folder:
        progress, figures = run_worker(
            "bench.api", LARGE_CASES, data_dir=Path(folder) / "instance",
            env={"WAYSTATION_API_CALLS_PER_MINUTE": "10000000"},
        )
    for line in progress:
        print(f"  {line}", flush=True)
    small, large = figures["small"], figures["large"]
    size = f"{figures['cases']:,} cases"
    print(f"  a coordinator's token; {SECONDS:g} s per call and round, {ROUNDS} rounds, best")
    rows = []
    for call in CALLS:
        for label, stage in ((f"{SMALL_CASES} cases", small), (size, large)):
            rounds = "  ".join(f"{value:6.0f}" for value in stage[call])
            rows.append((f"{call}, {label}", f"{rounds}   best {max(stage[call]):6.0f} requests/s"))
    table(rows)
    print(f"  ({figures['generate_s']:.0f} s to generate the large set)")
    for call in CALLS:
        ratio = max(large[call]) / max(small[call])
        print(ratio_line(f"API {call}: {size} / {SMALL_CASES} cases", ratio, GOAL))


# --- the worker: its own process, data directory and instance -------------------------------


def _per_second(call) -> float:
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < SECONDS:
        call()
        done += 1
    return done / elapsed


def _measure(calls: dict) -> dict:
    for call in calls.values():  # warm: the first read of every call
        for _ in range(3):
            call()
    figures = {name: [] for name in calls}
    for _ in range(ROUNDS):
        for name, call in calls.items():
            figures[name].append(_per_second(call))
    return figures


def _explain(calls: dict) -> None:
    """The plan of each call's case-list query, as progress lines (BENCH_API_EXPLAIN=1)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for name, call in calls.items():
        with CaptureQueriesContext(connection) as queries:
            call()
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.startswith('SELECT "cases_case"."id"'):
                continue
            postgresql = connection.vendor == "postgresql"
            with connection.cursor() as cursor:
                cursor.execute(("EXPLAIN ANALYZE " if postgresql else "EXPLAIN QUERY PLAN ") + sql)
                plan = [str(row[0] if postgresql else row[-1]) for row in cursor.fetchall()]
            lines = plan[:10] + plan[-1:] if len(plan) > 11 else plan
            print(f"plan of {name}: " + " | ".join(line.strip() for line in lines), flush=True)


def main(large_cases: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from waystation.accounts.models import User
    from waystation.accounts.policy import Perm, permissions_of, system_actor
    from waystation.accounts.roles import Role
    from waystation.api.services import token_create
    from waystation.cases.demo import generate_cases
    from waystation.core.instance import instance_create

    instance_create(settings.DATA_DIR, passphrase="benchmark instance", label="bench")
    coordinator = User.objects.create_user("bench", roles=[Role.COORDINATOR])
    for i in range(4):
        User.objects.create_user(f"caseworker{i}", roles=[Role.CASEWORKER])
    for i in range(2):
        User.objects.create_user(f"lawyer{i}", roles=[Role.LAWYER])
    _token, raw = token_create(
        actor=system_actor("bench", Perm.SIGNED_IN, Perm.USERS_MANAGE), user=coordinator,
        name="bench", scopes=[p.value for p in permissions_of(coordinator)], days=1,
    )
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {raw}")

    def caller(path):
        def call():
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} answered {response.status_code}")
            json.loads(response.content)

        return call

    calls = {name: caller(path) for name, path in CALLS.items()}
    generate_cases(SMALL_CASES, seed=1, notes=SMALL_CASES)
    small = _measure(calls)
    print(f"measured {SMALL_CASES} cases; generating {large_cases:,}", flush=True)
    started = time.perf_counter()
    generate_cases(large_cases - SMALL_CASES, seed=2, notes=large_cases - SMALL_CASES)
    generate_s = time.perf_counter() - started
    if connection.vendor == "postgresql":
        # What autovacuum does within a minute of a bulk insert on a real server; measured
        # right after generating, the planner would still believe the table holds 100 cases.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if os.environ.get("BENCH_API_EXPLAIN"):
        _explain(calls)
    large = _measure(calls)
    print(json.dumps({"cases": large_cases, "generate_s": generate_s, "small": small,
                      "large": large}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
