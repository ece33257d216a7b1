"""Benchmarks that need Django run it in a child process with a throwaway data directory of
their own, so that nothing they write touches the developer's instance and each measures a
fresh interpreter. The child prints progress lines, then its figures as one JSON line."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_worker(
    module: str, *args, data_dir: Path, env: dict[str, str] | None = None, timeout: int = 3600
) -> tuple[list[str], dict]:
    """Run ``python -m module args…`` against ``data_dir`` (cheap test KDF, no WAYSTATION_*
    from this shell besides WAYSTATION_DATABASE and ``env``); its progress lines and its
    figures, or RuntimeError with the end of what it wrote to stderr."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("WAYSTATION_")}
    # The database chosen for the run (PostgreSQL through the libpq variables, which stay).
    if os.environ.get("WAYSTATION_DATABASE"):
        child_env["WAYSTATION_DATABASE"] = os.environ["WAYSTATION_DATABASE"]
    child_env.update(
        WAYSTATION_DATA_DIR=str(data_dir),
        WAYSTATION_INSECURE_TEST_KDF="1",
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="waystation.settings",
        **(env or {}),
    )
    result = subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        env=child_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        called = " ".join([module, *map(str, args)])
        raise RuntimeError(f"worker {called} failed:\n{result.stderr[-3000:]}")
    lines = result.stdout.strip().splitlines()
    return lines[:-1], json.loads(lines[-1])
