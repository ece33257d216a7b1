"""Server mode under load: 50 simulated members (locust, headless, loopback only) for 60 s
through the TLS proxy, first in front of one app server, then of two, on one PostgreSQL
database and one SeaweedFS bucket; p95 per page and requests/s, and every error counted.

The fleet is tests/server/harness.py's: PostgreSQL from the libpq variables (without them the
bench runs itself under `pg_virtualenv -t`, a throwaway cluster), SeaweedFS, Caddy, app
servers A and B (8 threads each, their own data directories), one worker process. Before the
clock starts, five coordinators sign in through the proxy (second factor included) and open 20
cases with a note each; the 50 members share those five sessions (ten tabs each). What each
member does is bench/servers_locust.py: overview, case pages, notes, search, uploads of 64 KiB.
`python -m bench servers` prints one table per run; WAYSTATION_BENCH_SECONDS shortens it.
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.server.harness import Fleet, forms_of
from waystation.testing import proxy as proxies

ROOT = Path(__file__).resolve().parent.parent
USERS = 50
SECONDS = int(os.environ.get("WAYSTATION_BENCH_SECONDS", "60"))
COORDINATORS = 5
CASES = 20


def run() -> None:
    if os.environ.get("PGHOST") or os.environ.get("PGDATABASE"):
        measure()
        return
    if not shutil.which("pg_virtualenv"):
        raise RuntimeError("needs PostgreSQL: Debian's pg_virtualenv, or the PG* variables")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    # A port of its own: another throwaway cluster (a test run) may hold the default one.
    port = proxies.free_port()
    subprocess.run(
        ["pg_virtualenv", "-t", "-o", f"port={port}", sys.executable, "-m", "bench.servers"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def measure() -> None:
    with (
        tempfile.TemporaryDirectory(prefix="waystation-bench-fleet-") as folder,
        Fleet(Path(folder) / "fleet") as fleet,
    ):
        fleet.start()
        names = [f"coordinator{n}" for n in range(1, COORDINATORS + 1)]
        for name in names:
            fleet.manage(fleet.data_dir("a"), "user", "add", name, "--role", "coordinator")
        members = []
        for name in names:
            member = fleet.client()
            member.sign_in(fleet.proxy.url, name)
            members.append(member)
        cases = []
        for number in range(CASES):
            member = members[number % len(members)]
            url = member.open_case(
                fleet.proxy.url, city="Tbilisi", summary=f"Bench case {number}, by bus."
            )
            member.add_note(url, f"First note of bench case {number}: a family of four.")
            page = member.get(url).text
            codename = re.search(r'class="codename">([^<]+)<', page).group(1)
            path = url.removeprefix(fleet.proxy.url.rstrip("/"))
            cases.append({"path": path, "codename": codename})
        upload_form = members[0].get(fleet.proxy.url + "evidence/items/new/").text
        how = next(f for f in forms_of(upload_form) if "acquired_how" in f["fields"])
        config = {
            "ca": str(fleet.certificate.ca),
            "sessions": [m.session.cookies.get_dict() for m in members],
            "cases": cases,
            "acquired_how": how["fields"]["acquired_how"],
        }
        results = {}
        for label, proxy in (("one server", fleet.proxies["a"]), ("two servers", fleet.proxy)):
            results[label] = _locust(proxy.url, config, Path(folder) / label.replace(" ", "-"))
            _print(label, results[label])
        one, two = results["one server"]["Aggregated"], results["two servers"]["Aggregated"]
        print(
            f"  two servers / one: {two['rps'] / one['rps']:.2f}× the requests/s, "
            f"p95 {two['p95']:.0f} ms against {one['p95']:.0f} ms; "
            f"errors {one['errors']} and {two['errors']}"
        )


def _locust(url: str, config: dict, out: Path) -> dict:
    out.mkdir(parents=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "servers_locust.py"),
            "--headless",
            "--users",
            str(USERS),
            "--spawn-rate",
            str(USERS),
            "--run-time",
            f"{SECONDS}s",
            "--host",
            url.rstrip("/"),
            "--csv",
            str(out / "stats"),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ],
        cwd=ROOT,
        env={**os.environ, "WAYSTATION_BENCH_FLEET": json.dumps(config)},
        capture_output=True,
        text=True,
        timeout=SECONDS + 120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"locust failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    rows = {}
    with open(out / "stats_stats.csv") as stats:
        for row in csv.DictReader(stats):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
            }
    failures = (out / "stats_failures.csv").read_text().strip().splitlines()[1:]
    rows["Aggregated"]["failures"] = failures
    return rows


def _print(label: str, rows: dict) -> None:
    print(f"  {label}: {USERS} members, {SECONDS} s")
    print(f"    {'page':<24}{'requests':>9}{'errors':>8}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}")
    for name, row in rows.items():
        if name == "Aggregated":
            name = "all"
        print(
            f"    {name:<24}{row['requests']:>9}{row['errors']:>8}{row['rps']:>8.1f}"
            f"{row['p50']:>8.0f}{row['p95']:>8.0f}"
        )
    for failure in rows["Aggregated"]["failures"][:10]:
        print(f"    error: {failure}")


if __name__ == "__main__":
    measure()
