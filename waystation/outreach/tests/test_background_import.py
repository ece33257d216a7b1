"""Large imports in the background: confirming queues a job (the task gets its id, never the
file), the worker writes it all or nothing through the real database backend, and the job page
shows queued, running with rows written, done with what was created, or failed with why —
to whoever started it and to coordinators, and to no one else."""

import pyotp
import pytest
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.core.blobstore import blob_store
from waystation.core.worker import Worker
from waystation.outreach import jobs
from waystation.outreach.models import Approach, ImportJob, Organisation, Response
from waystation.outreach.tests.test_import import _upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_threshold(settings, monkeypatch):
    settings.IMPORT_BACKGROUND_ROWS = 10  # the 29-row sample counts as large
    monkeypatch.setattr("waystation.core.worker._PERIODIC", [])  # no weekly digest here


def _queue(client, name="outreach-log.csv", data=None):
    _upload(client, name, data)
    preview = client.get(reverse("outreach:import_preview")).content.decode()
    assert "imported in the background" in preview
    confirmed = client.post(reverse("outreach:import_confirm"))
    job = ImportJob.objects.get()
    assert confirmed["Location"] == reverse("outreach:import_job", args=[job.pk])
    return job


def test_a_large_import_runs_in_the_worker_with_progress(client_for, cast, monkeypatch):
    client = client_for("coordinator")
    job = _queue(client)
    url = reverse("outreach:import_job", args=[job.pk])
    # Queued: nothing written yet, the upload is kept (encrypted) for the worker, and the
    # task row holds the job's id and nothing of the file.
    assert not Approach.objects.exists() and "spreadsheet_import:outreach" not in client.session
    assert blob_store().exists(job.blob)
    task = DBTaskResult.objects.get()
    assert task.args_kwargs == {"args": [job.pk], "kwargs": {}}
    page = client.get(url).content.decode()
    assert "Queued" in page and '<meta http-equiv="refresh" content="3">' in page

    seen = []  # the page as the user sees it while the rows are written

    def look():
        seen.append(client.get(url).content.decode())
        return False

    monkeypatch.setattr(jobs, "stopping", look)
    assert Worker().run(once=True) == 1

    assert "Running" in seen[0] and "29 / 29" in seen[0] and 'value="100"' in seen[0]
    job.refresh_from_db()
    assert job.status == "done" and job.started_by == cast["coordinator"]
    assert (job.approaches, job.responses, job.new_organisations) == (29, 12, 26)
    assert Approach.objects.count() == 29 and Response.objects.count() == 12
    assert Approach.objects.filter(batch=job.batch).count() == 29
    assert not blob_store().exists(job.blob)
    DBTaskResult.objects.get(status=TaskResultStatus.SUCCESSFUL)
    audit = AuditEvent.objects.get(event=Event.OUTREACH_IMPORTED)
    assert audit.actor == cast["coordinator"] and audit.data["rows"] == 29
    done = client.get(url).content.decode()
    assert "Done" in done and "http-equiv" not in done
    assert "Imported 29 approaches (26 new organisations, 12 responses)" in done
    pro_asyl = Organisation.objects.get(name__icontains="Pro Asyl")
    assert reverse("outreach:organisation", args=[pro_asyl.pk]) in done
    # Found again from the import page.
    assert url in client.get(reverse("outreach:import")).content.decode()


def test_only_the_starter_and_coordinators_see_the_job(client_for, cast):
    job = _queue(client_for("coordinator"))
    url = reverse("outreach:import_job", args=[job.pk])
    other_coordinator = UserFactory(
        username="other", roles=[Role.COORDINATOR], totp_secret=pyotp.random_base32()
    )
    for name in ("caseworker", "lawyer", "treasurer", "screener", "documentation_officer"):
        assert client_for(name).get(url).status_code == 404, name
    client = client_for("caseworker")
    client.force_login(other_coordinator)
    assert client.get(url).status_code == 200
    missing = reverse("outreach:import_job", args=[job.pk + 1])
    assert client_for("coordinator").get(missing).status_code == 404


def test_a_job_started_by_someone_else_is_hidden_from_a_non_coordinator(client, cast):
    # Whoever started a job sees it, even without the coordinator's view of all jobs.
    mine = ImportJob.objects.create(started_by=cast["caseworker"], filename="x.csv")
    theirs = ImportJob.objects.create(started_by=cast["lawyer"], filename="y.csv")
    client.force_login(cast["caseworker"])
    assert client.get(reverse("outreach:import_job", args=[mine.pk])).status_code == 200
    assert client.get(reverse("outreach:import_job", args=[theirs.pk])).status_code == 404


def test_a_job_whose_worker_stops_writes_nothing_and_waits_for_the_next(client_for, monkeypatch):
    client = client_for("coordinator")
    job = _queue(client)
    monkeypatch.setattr(jobs, "stopping", lambda: True)  # the server stops mid-import
    Worker().run(once=True)
    job.refresh_from_db()
    # Given back: nothing written, the file kept, the task queued again for another worker
    # and not counted as a try.
    assert job.status == "queued" and job.reason == ""
    assert not Approach.objects.exists() and not Organisation.objects.exists()
    assert not AuditEvent.objects.filter(event=Event.OUTREACH_IMPORTED).exists()
    assert blob_store().exists(job.blob)
    task = DBTaskResult.objects.get()
    assert task.status == TaskResultStatus.READY and task.worker_ids == []
    page = client.get(reverse("outreach:import_job", args=[job.pk])).content.decode()
    assert "The import waits for the background worker." in page
    monkeypatch.setattr(jobs, "stopping", lambda: False)
    Worker().run(once=True)  # the next worker writes it
    job.refresh_from_db()
    assert job.status == "done" and Approach.objects.count() == job.approaches > 0
    assert not blob_store().exists(job.blob)


def test_a_file_with_bad_rows_is_refused_before_any_job(client_for):
    client = client_for("coordinator")
    rows = "".join(f"0{day}.10.2022,Org {day}\n" for day in range(1, 10))
    data = f"Дата,Организация\n{rows}31.02.2023,Pro Asyl\n10.10.2022,UNHCR\n".encode()
    _upload(client, "bad.csv", data)
    # The button is not offered for all or nothing; posted anyway.
    page = client.post(reverse("outreach:import_confirm"), follow=True).content.decode()
    assert "1 row cannot be imported" in page and "line 11: 31.02.2023 is not a date" in page
    assert not ImportJob.objects.exists() and not Organisation.objects.exists()


def test_the_good_rows_in_the_background_and_the_rest_as_a_file(client_for, cast):
    client = client_for("coordinator")
    rows = "".join(f"0{day}.10.2022;Org {day}\n" for day in range(1, 10))
    data = f"Дата;Организация\n{rows}31.02.2023;Pro Asyl\n10.10.2022;UNHCR\n".encode("cp1251")
    _upload(client, "bad.csv", data)
    client.post(reverse("outreach:import_confirm"), {"mode": "good"})
    Worker().run(once=True)
    job = ImportJob.objects.get()
    assert job.status == "done" and job.approaches == 10 and job.rejected_rows == 1
    assert not blob_store().exists(job.blob)
    page = client.get(reverse("outreach:import_job", args=[job.pk])).content.decode()
    assert "1 row was not imported." in page and "Download bad-rejected.csv" in page
    rejected_blob = job.rejected_blob
    other = client_for("caseworker").get(reverse("outreach:import_job_rejected", args=[job.pk]))
    assert other.status_code == 404 and blob_store().exists(rejected_blob)
    download = client.get(reverse("outreach:import_job_rejected", args=[job.pk]))
    assert download["Content-Disposition"] == 'attachment; filename="bad-rejected.csv"'
    assert download.content.decode("cp1251").splitlines() == [
        "Дата;Организация;Why this row was not imported",
        "31.02.2023;Pro Asyl;line 11: 31.02.2023 is not a date",
    ]
    # Given once, then deleted.
    job.refresh_from_db()
    assert job.rejected_blob == "" and not blob_store().exists(rejected_blob)
    assert client.get(reverse("outreach:import_job_rejected", args=[job.pk])).status_code == 404
    assert "Download bad-rejected.csv" not in client.get(
        reverse("outreach:import_job", args=[job.pk])
    ).content.decode()


def test_small_files_are_imported_at_once(client_for, settings):
    settings.IMPORT_BACKGROUND_ROWS = 2000
    client = client_for("coordinator")
    _upload(client, "outreach-log.xlsx")
    assert client.post(reverse("outreach:import_confirm"))["Location"] == reverse(
        "outreach:directory"
    )
    assert Approach.objects.count() == 29 and not ImportJob.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_the_job_reads_the_columns_chosen_by_hand(client_for, settings):
    settings.IMPORT_BACKGROUND_ROWS = 0  # everything in the background
    client = client_for("coordinator")
    _upload(client, "odd.csv", b"Column 1,Column 2\n03.10.2022,UNHCR\n")
    client.get(reverse("outreach:import_preview"))
    client.post(reverse("outreach:import_preview"), {"field_date": "0", "field_organisation": "1"})
    client.post(reverse("outreach:import_confirm"))
    Worker().run(once=True)
    assert ImportJob.objects.get().status == "done"
    assert Organisation.objects.get().name == "UNHCR"
