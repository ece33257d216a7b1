"""Pytest plugin loaded before Django settings (``-p waystation.testing.plugin``).

It makes a throwaway instance for the test run — a data directory with a key-slot file using
the fast, insecure test KDF (which production refuses) — and unseals it, exactly as a real
start would. Under CI=true it turns any skipped test into a failed run: a skip there would
hide a missing dependency.

Everything the run writes to a temporary directory — pytest's ``tmp_path`` folders, the test
instance, Chromium's profiles, SeaweedFS, the servers the tests start — goes to one folder of
its own (``TMPDIR`` and ``tempfile.tempdir`` point there, for this process and its children),
removed at the end: the system temporary directory holds nothing new afterwards. A folder left
by a run that was killed is removed by the next run.

The header says which database the run uses. With WAYSTATION_TEST_REPORT set, the run also
writes one line saying so and what came of it to that file (``make test`` prints both halves'
lines at the end).
"""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from waystation.core import keyslots
from waystation.core.keyring import KEYRING

TEST_PASSPHRASE = "test instance passphrase"  # noqa: S105 - the throwaway test instance

SYSTEM_TEMP_DIR = Path(tempfile.gettempdir())
_PREFIX = "waystation-tests-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_folders_of_killed_runs() -> None:
    for folder in SYSTEM_TEMP_DIR.glob(f"{_PREFIX}*-*"):
        pid = folder.name.removeprefix(_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)) and folder.stat().st_uid == os.getuid():
            shutil.rmtree(folder, ignore_errors=True)


with contextlib.suppress(OSError):
    _remove_folders_of_killed_runs()
RUN_TEMP_DIR = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=SYSTEM_TEMP_DIR))
os.environ["TMPDIR"] = str(RUN_TEMP_DIR)
tempfile.tempdir = str(RUN_TEMP_DIR)

DATA_DIR = RUN_TEMP_DIR / "instance"
DATA_DIR.mkdir(mode=0o700)
os.environ["WAYSTATION_DATA_DIR"] = str(DATA_DIR)
os.environ["WAYSTATION_INSECURE_TEST_KDF"] = "1"
os.environ.pop("WAYSTATION_PASSPHRASE_FILE", None)
# Not a systemd service, whatever runs the suite: no systemd-ask-password prompt that waits.
os.environ.pop("INVOCATION_ID", None)
os.environ.pop("CREDENTIALS_DIRECTORY", None)

_skipped: list[str] = []
_outcome = {"status": None}


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def database_name() -> str:
    """The database this run tests against, in words."""
    if os.environ.get("WAYSTATION_DATABASE", "sqlite") == "postgresql":
        where = os.environ.get("PGHOST") or "localhost"
        port = os.environ.get("PGPORT")
        return f"PostgreSQL at {where}" + (f", port {port}" if port else "")
    return "embedded SQLCipher"


def unseal_test_instance() -> None:
    if not (DATA_DIR / keyslots.FILENAME).exists():
        keyslots.create(DATA_DIR, TEST_PASSPHRASE, "tests")
    assert KEYRING.unseal(DATA_DIR, TEST_PASSPHRASE), "the test instance did not unseal"


def pytest_report_header(config):
    return [
        f"waystation: database {database_name()}; temporary files in {RUN_TEMP_DIR} "
        "(removed at the end)",
        # pytest-django orders the tests as Django does, so a file whose tests are of several
        # kinds shows up once per kind in the progress list; each test still runs once.
        "waystation: order: tests in a database transaction, then tests that commit (browser, "
        "live server), then tests without the database; a file may appear once for each",
    ]


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "postgresql: behaviour of server mode, collected only in the PostgreSQL half of the suite",
    )
    config.addinivalue_line(
        "markers", "embedded: behaviour of the embedded database, collected only in its half"
    )
    unseal_test_instance()


def pytest_collection_modifyitems(config, items):
    """Tests of one database's own behaviour are left out of the other half: deselected, not
    skipped (a skip fails CI), and the header of each half names how many."""
    server_mode = os.environ.get("WAYSTATION_DATABASE", "sqlite") == "postgresql"
    other = "embedded" if server_mode else "postgresql"
    left_out = [item for item in items if item.get_closest_marker(other)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker(other)]


def pytest_unconfigure(config):
    shutil.rmtree(RUN_TEMP_DIR, ignore_errors=True)


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _ci() and _skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    _outcome["status"] = session.exitstatus


def pytest_terminal_summary(terminalreporter, exitstatus):
    if _ci() and _skipped:
        terminalreporter.write_line(
            f"CI: {len(_skipped)} skipped test(s) count as failures: " + ", ".join(_skipped),
            red=True,
        )
    report = os.environ.get("WAYSTATION_TEST_REPORT")
    if report:
        counts = [
            f"{len(terminalreporter.stats[kind])} {kind}"
            for kind in ("failed", "error", "passed", "skipped", "xfailed", "xpassed")
            if terminalreporter.stats.get(kind)
        ]
        status = "passed" if _outcome["status"] == 0 else "FAILED"
        Path(report).write_text(
            f"{database_name()}: {status} ({', '.join(counts) or 'no tests'})\n"
        )


# -- a busy system temporary directory ---------------------------------------------------------


@pytest.fixture
def busy_temp_dirs():
    """Another program at work in the system temporary directory (and in this run's) while
    the test runs, the way a browser makes and removes its profile folders: folders with
    files in them appear and vanish in a loop, in a separate process. A test that walks a
    directory it does not own trips over them. Yields the directories it keeps busy."""
    places = sorted({SYSTEM_TEMP_DIR, RUN_TEMP_DIR})
    churn = subprocess.Popen(  # noqa: S603 - this Python, a module of ours
        [sys.executable, "-m", "waystation.testing.busy", *map(str, places)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert churn.stdout.readline().strip() == "busy", "the busy folders did not start"
        yield places
    finally:
        churn.stdin.close()  # the signal to stop: it removes its folders and says how often
        cycles = churn.stdout.read().strip()
        churn.wait(timeout=20)
    assert cycles.isdigit() and int(cycles) > 0, cycles
