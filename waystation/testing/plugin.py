"""Pytest plugin loaded before Django settings (``-p waystation.testing.plugin``).

It gives the test run an instance secret, and under CI=true turns any skipped test into a
failed run: a skip there would hide a missing dependency.
"""

import os

import pytest

os.environ.setdefault("WAYSTATION_SECRET_KEY", "insecure-secret-for-tests-only")

_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"} and _skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"} and _skipped:
        terminalreporter.write_line(
            f"CI: {len(_skipped)} skipped test(s) count as failures: " + ", ".join(_skipped),
            red=True,
        )
