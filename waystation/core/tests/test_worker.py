"""The background worker: tasks queued in the database run only in an unsealed process; the
thread of `waystation serve` waits for the unseal, stops cleanly, and stops for good at panic;
`waystation tasks work` follows the command line's passphrase contract."""

import time

import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from waystation.core.keyring import KEYRING, KeyRing
from waystation.core.tests.test_startup import PASSPHRASE, _waystation
from waystation.core.worker import BackgroundWorker, Worker
from waystation.testing.plugin import DATA_DIR

RAN: list[str] = []


@task()
def note(word: str) -> str:
    RAN.append(word)
    return word


@pytest.fixture(autouse=True)
def _fresh(settings, monkeypatch):
    RAN.clear()
    settings.TASKS_POLL_SECONDS = 0.05
    # Only this module's task: the apps' periodic checks (the weekly digest) are theirs to test.
    monkeypatch.setattr("waystation.core.worker._PERIODIC", [])


def _until(condition, seconds=10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.django_db
def test_a_queued_task_runs_through_the_database_backend_once():
    result = note.enqueue("hello")
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.READY and row.args_kwargs["args"] == ["hello"]
    assert Worker().run(once=True) == 1
    assert RAN == ["hello"]
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL and row.return_value == "hello"
    assert Worker().run(once=True) == 0  # nothing is run twice


@pytest.mark.django_db
def test_a_sealed_worker_runs_nothing():
    note.enqueue("secret")
    assert Worker(keyring=KeyRing()).run(once=True) == 0
    assert RAN == []
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY


@pytest.mark.django_db
def test_tasks_work_once_on_the_command_line(capsys):
    note.enqueue("a")
    note.enqueue("b")
    call_command("tasks", "work", "--once")
    assert sorted(RAN) == ["a", "b"]
    assert "2 background task(s) run." in capsys.readouterr().out


def test_serve_worker_waits_for_the_unseal_and_stops_for_good_at_panic(transactional_db):
    ring = KeyRing()  # this server's own key ring, sealed as after a start
    worker = BackgroundWorker(keyring=ring, wait_seconds=0.05).start()
    try:
        note.enqueue("early")
        time.sleep(0.5)
        assert worker.alive and not worker.working.is_set() and RAN == []

        ring.install(KEYRING.master_for_key_management(), DATA_DIR)  # unsealed
        assert _until(lambda: RAN == ["early"]), "the unsealed worker ran nothing"
        note.enqueue("next")
        assert _until(lambda: RAN == ["early", "next"])

        ring.destroy()  # panic
        assert _until(lambda: not worker.alive), "the worker outlived the keys"
        assert worker.destroyed
        note.enqueue("after panic")
        time.sleep(0.3)
        assert RAN == ["early", "next"]
    finally:
        worker.stop()


def test_serve_worker_stops_cleanly_when_the_server_stops(transactional_db):
    worker = BackgroundWorker(wait_seconds=0.05).start()
    assert _until(worker.working.is_set)
    assert worker.stop(timeout=5) and not worker.alive


def test_tasks_work_needs_the_passphrase(tmp_path):
    data_dir = tmp_path / "instance"
    created = _waystation(
        "init", "--data-dir", str(data_dir), "--passphrase-file", "-", stdin=PASSPHRASE + "\n"
    )
    assert created.returncode == 0, created.stderr
    wrong = _waystation(
        "tasks", "work", "--once", "--data-dir", str(data_dir), "--passphrase-file", "-",
        stdin="not the passphrase\n",
    )  # fmt: skip
    assert wrong.returncode == 2 and "wrong passphrase" in wrong.stderr
    passfile = tmp_path / "pass"
    passfile.write_text(PASSPHRASE + "\n")
    ran = _waystation(
        "tasks", "work", "--once", "--data-dir", str(data_dir), "--passphrase-file", str(passfile)
    )
    assert ran.returncode == 0, ran.stderr
    assert "background task(s) run." in ran.stdout
