"""Run every benchmark, or the ones named: `python -m bench [web] [database] [blobs] [keys]`."""

import importlib
import sys

BENCHMARKS = ["web", "database", "keys", "blobs"]


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    for name in names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        summary = " ".join(module.__doc__.strip().split("\n\n")[0].split())
        print(f"\n== {name}: {summary}")
        module.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
