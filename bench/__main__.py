"""Run every benchmark, or the ones named: `python -m bench [web] [intake] [database] [keys]
[blobs] [outreach] [people] [cases] [api] [evidence] [tus] [ledger] [partners]
[servers]`.

A benchmark is a module `bench/<name>.py` with a docstring (its first paragraph is printed as
the heading) and a `run()` that prints its results; register it in BENCHMARKS. Results below a
goal are reported, not failed: benchmarks are not tests. A benchmark that crashes does not stop
the others, but makes the exit status 1.
"""

import importlib
import sys
import time
import traceback

BENCHMARKS = [
    "web",
    "intake",
    "database",
    "keys",
    "blobs",
    "outreach",
    "people",
    "cases",
    "api",
    "evidence",
    "tus",
    "ledger",
    "partners",
    "servers",
]


def _setup_django() -> None:
    """Benchmarks that use Waystation's code in this process need configured settings."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waystation.settings")
    django.setup()


def main(names: list[str]) -> int:
    if any(name in ("-h", "--help") for name in names):
        print(__doc__.strip())
        return 0
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    _setup_django()
    failed = []
    for name in names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        summary = " ".join(module.__doc__.strip().split("\n\n")[0].split())
        print(f"\n== {name}: {summary}", flush=True)
        started = time.monotonic()
        try:
            module.run()
        except Exception:
            traceback.print_exc()
            print(f"  {name}: FAILED (no result)")
            failed.append(name)
        print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
