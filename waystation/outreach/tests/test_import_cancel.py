"""Cancelling a background import from its page: a form (no JavaScript) for whoever may import
and may follow the job; a queued job fails at once, a running one at its next step, writing
nothing; the file is deleted; the cancel is audited; anyone else is refused."""

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.core.blobstore import blob_store
from waystation.core.worker import Worker
from waystation.outreach.models import Approach, Organisation
from waystation.outreach.tests.test_background_import import _queue

pytestmark = pytest.mark.django_db

CANCEL = "Cancel the import"
CANCELLED = "The import was cancelled; nothing was written."


@pytest.fixture(autouse=True)
def _small_threshold(settings, monkeypatch):
    settings.IMPORT_BACKGROUND_ROWS = 10  # the 29-row sample counts as large
    monkeypatch.setattr("waystation.core.worker._PERIODIC", [])


def _page(client, job) -> str:
    return client.get(reverse("outreach:import_job", args=[job.pk])).content.decode()


def _cancel(client, job):
    return client.post(reverse("outreach:import_job_cancel", args=[job.pk]), follow=True)


def test_the_starter_cancels_a_queued_import(client_for):
    client = client_for("coordinator")
    job = _queue(client)
    assert CANCEL in _page(client, job)
    answer = _cancel(client, job).content.decode()
    assert CANCELLED in answer and CANCEL not in answer
    job.refresh_from_db()
    assert job.status == "failed" and job.reason == CANCELLED and job.blob == ""
    task = DBTaskResult.objects.get()
    assert task.status == TaskResultStatus.FAILED and task.exception_class_path.endswith(
        "TaskCancelled"
    )
    audit = AuditEvent.objects.get(event=Event.OUTREACH_IMPORT_CANCELLED)
    assert audit.object_id == str(job.pk) and audit.data["was"] == "queued"
    assert Worker().run(once=True) == 0  # nothing left to run
    assert not Approach.objects.exists()
    again = _cancel(client, job).content.decode()
    assert "This import has finished already." in again
    assert AuditEvent.objects.filter(event=Event.OUTREACH_IMPORT_CANCELLED).count() == 1


def test_a_running_import_stops_at_its_next_step_and_writes_nothing(client_for):
    client = client_for("coordinator")
    job = _queue(client)
    blob = job.blob
    worker = Worker()
    claimed = DBTaskResult.objects.get()
    claimed.claim(worker.worker_id)  # a worker has taken it and is about to write
    answer = _cancel(client, job).content.decode()
    assert "The import stops at its next step" in answer
    assert "Cancelling: the import stops at its next step and writes nothing." in answer
    assert CANCEL not in answer
    worker.run_task(claimed)
    job.refresh_from_db()
    assert job.status == "failed" and job.reason == CANCELLED
    assert not Approach.objects.exists() and not Organisation.objects.exists()
    assert not blob_store().exists(blob)
    assert not AuditEvent.objects.filter(event=Event.OUTREACH_IMPORTED).exists()
    assert AuditEvent.objects.filter(event=Event.OUTREACH_IMPORT_CANCELLED).count() == 1
    page = _page(client, job)
    assert CANCELLED in page and "Nothing was written." in page and CANCEL not in page


def test_another_coordinator_may_cancel(client_for):
    job = _queue(client_for("coordinator"))
    other = UserFactory(
        username="second", roles=[Role.COORDINATOR], totp_secret=pyotp.random_base32()
    )
    client = Client()
    client.force_login(other)
    assert CANCEL in _page(client, job)
    assert CANCELLED in _cancel(client, job).content.decode()
    assert AuditEvent.objects.get(event=Event.OUTREACH_IMPORT_CANCELLED).actor_id == other.pk


def test_who_may_not_cancel_is_refused_and_nothing_changes(client_for, cast):
    job = _queue(client_for("coordinator"))
    # A caseworker may not import: refused, and the job is not even visible to him.
    for name in ("caseworker", "lawyer", "treasurer"):
        refused = client_for(name).post(reverse("outreach:import_job_cancel", args=[job.pk]))
        assert refused.status_code == 403
    # The starter who lost the right to import follows his job but may not cancel it.
    starter = cast["coordinator"]
    starter.set_roles([Role.CASEWORKER])
    starter.save()
    client = Client()
    client.force_login(starter)
    page = _page(client, job)
    assert "The import waits for the background worker." in page and CANCEL not in page
    assert client.post(reverse("outreach:import_job_cancel", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.status == "queued" and blob_store().exists(job.blob)
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY
    assert not AuditEvent.objects.filter(event=Event.OUTREACH_IMPORT_CANCELLED).exists()
