"""Pytest plugin loaded before Django settings (``-p waystation.testing.plugin``).

It makes a throwaway instance for the test run — a data directory with a key-slot file using
the fast, insecure test KDF (which production refuses) — and unseals it, exactly as a real
start would. Under CI=true it turns any skipped test into a failed run: a skip there would
hide a missing dependency.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

TEST_PASSPHRASE = "test instance passphrase"  # noqa: S105 - the throwaway test instance
DATA_DIR = Path(tempfile.mkdtemp(prefix="waystation-test-"))
os.environ["WAYSTATION_DATA_DIR"] = str(DATA_DIR)
os.environ["WAYSTATION_INSECURE_TEST_KDF"] = "1"
os.environ.pop("WAYSTATION_PASSPHRASE_FILE", None)

_skipped: list[str] = []


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unseal_test_instance() -> None:
    from waystation.core import keyslots
    from waystation.core.keyring import KEYRING

    if not (DATA_DIR / keyslots.FILENAME).exists():
        keyslots.create(DATA_DIR, TEST_PASSPHRASE, "tests")
    assert KEYRING.unseal(DATA_DIR, TEST_PASSPHRASE), "the test instance did not unseal"


def pytest_configure(config):
    unseal_test_instance()


def pytest_unconfigure(config):
    shutil.rmtree(DATA_DIR, ignore_errors=True)


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _ci() and _skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if _ci() and _skipped:
        terminalreporter.write_line(
            f"CI: {len(_skipped)} skipped test(s) count as failures: " + ", ".join(_skipped),
            red=True,
        )
