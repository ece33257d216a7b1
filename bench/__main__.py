"""Run every benchmark, or the ones named: `python -m bench [web] [database] [blobs] [keys]`."""

import importlib
import sys

BENCHMARKS = ["web", "database", "keys", "blobs"]


def _setup_django() -> None:
    """Benchmarks that use Waystation's code in this process need configured settings."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waystation.settings")
    django.setup()


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    _setup_django()
    for name in names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        summary = " ".join(module.__doc__.strip().split("\n\n")[0].split())
        print(f"\n== {name}: {summary}")
        module.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
