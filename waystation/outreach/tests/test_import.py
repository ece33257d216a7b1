"""Importing a spreadsheet, on the web page and on the command line: a dry run first, then all
or nothing; the uploaded file never lies in the clear and is gone afterwards."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.core.blobstore import blob_store
from waystation.outreach.models import Approach, Organisation, Response

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "samples" / "outreach"
PENDING = "spreadsheet_import:outreach"


def _upload(client, name, data=None):
    data = (SAMPLES / name).read_bytes() if data is None else data
    return client.post(reverse("outreach:import"), {"file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize("name", ["outreach-log.csv", "outreach-log.xlsx", "outreach-log.ods"])
def test_sample_import_through_the_pages(client_for, cast, name, settings):
    client = client_for("coordinator")
    assert _upload(client, name)["Location"] == reverse("outreach:import_preview")
    pending = client.session[PENDING]
    stored = list(Path(settings.BLOB_STORE["root"]).rglob(pending["blob"]))
    assert stored and b"Pro Asyl" not in stored[0].read_bytes()  # encrypted while it waits
    preview = client.get(reverse("outreach:import_preview")).content.decode()
    assert "Approaches to import" in preview and ">29<" in preview and ">Import<" in preview
    assert not Approach.objects.exists()  # the dry run wrote nothing
    done = client.post(reverse("outreach:import_confirm"))
    assert done["Location"] == reverse("outreach:directory")
    assert Organisation.objects.count() == 26
    assert Approach.objects.count() == 29 and Response.objects.count() == 12
    assert Approach.objects.filter(outcome="none").count() == 17
    assert PENDING not in client.session
    assert not list(Path(settings.BLOB_STORE["root"]).rglob(pending["blob"]))
    row = AuditEvent.objects.get(event=Event.OUTREACH_IMPORTED)
    assert row.data == {"rows": 29, "organisations_new": 26, "already_logged": 0, "rejected": 0}
    page = client.get(reverse("outreach:directory")).content.decode()
    assert "Imported 29 approaches" in page and "Pro Asyl" in page
    # The same file again: nothing is doubled.
    _upload(client, name)
    client.post(reverse("outreach:import_confirm"))
    assert Approach.objects.count() == 29 and Organisation.objects.count() == 26


def test_a_file_with_bad_rows_is_refused_whole(client_for):
    client = client_for("coordinator")
    data = "Дата,Организация\n03.10.2022,UNHCR\n31.02.2023,Pro Asyl\n".encode()
    _upload(client, "bad.csv", data)
    preview = client.get(reverse("outreach:import_preview")).content.decode()
    assert "line 3: 31.02.2023 is not a date" in preview
    refused = client.post(reverse("outreach:import_confirm"), follow=True).content.decode()
    assert "1 row cannot be imported; fix it in the file" in refused
    assert not Organisation.objects.exists() and not Approach.objects.exists()


def test_an_unreadable_file_is_explained_on_the_upload_page(client_for):
    client = client_for("coordinator")
    page = _upload(client, "photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    assert page.status_code == 200
    assert "not a CSV, XLSX or ODS spreadsheet" in page.content.decode()
    assert PENDING not in client.session


def test_columns_can_be_chosen_by_hand(client_for):
    client = client_for("coordinator")
    _upload(client, "odd.csv", b"Column 1,Column 2\n03.10.2022,UNHCR\n")
    page = client.get(reverse("outreach:import_preview")).content.decode()
    assert "Which column holds what" in page
    assert "Choose the columns for: Date, Organisation" in page
    assert "A: Column 1 — 03.10.2022" in page and "B: Column 2 — UNHCR" in page
    client.post(reverse("outreach:import_preview"), {"field_date": "0", "field_organisation": "1"})
    assert ">1<" in client.get(reverse("outreach:import_preview")).content.decode()
    client.post(reverse("outreach:import_confirm"))
    assert Organisation.objects.get().name == "UNHCR"


def test_cancel_deletes_the_upload(client_for, settings):
    client = client_for("coordinator")
    _upload(client, "outreach-log.csv")
    blob = client.session[PENDING]["blob"]
    client.post(reverse("outreach:import_cancel"))
    assert not blob_store().exists(blob) and not Approach.objects.exists()


def test_only_editors_may_import(client_for):
    for name in ("caseworker", "treasurer"):
        assert _upload(client_for(name), "outreach-log.csv").status_code == 403


def test_command_line_dry_run_then_import(capsys):
    call_command("outreach", "import", str(SAMPLES / "outreach-log.ods"), "--dry-run")
    assert (
        "would import 29 approaches for 26 organisations; 0 rows rejected"
        in capsys.readouterr().out
    )
    assert not Approach.objects.exists()
    call_command("outreach", "import", str(SAMPLES / "outreach-log.ods"))
    assert "imported 29 approaches, 12 responses, 26 new organisations" in capsys.readouterr().out
    assert Approach.objects.count() == 29


def test_command_line_reports_every_rejected_row(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("Дата,Организация\n31.02.2023,UNHCR\n01.03.2023,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="2 rows rejected; nothing was written"):
        call_command("outreach", "import", str(bad))
    errors = capsys.readouterr().err
    assert "line 2: 31.02.2023 is not a date" in errors
    assert "line 3: “Organisation” is empty" in errors
    assert not Approach.objects.exists()


def test_command_line_unreadable_file_is_one_line(tmp_path):
    junk = tmp_path / "x.xlsx"
    junk.write_bytes(b"%PDF-1.4 not a sheet")
    with pytest.raises(CommandError, match="not a CSV, XLSX or ODS spreadsheet"):
        call_command("outreach", "import", str(junk))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("outreach", "import", str(tmp_path / "missing.csv"))
