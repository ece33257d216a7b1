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
SAMPLES = Path(__file__).resolve().parent / "samples"
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


CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.mark.parametrize("order", ["before", "after"])
def test_command_line_options_before_or_after_the_file(order, capsys):
    path = str(CORPUS / "excel-ru-cp1251.csv")
    args = ["--dry-run", path] if order == "before" else [path, "--dry-run"]
    with pytest.raises(CommandError, match="1 rows rejected; nothing was written"):
        call_command("outreach", "import", *args)
    out, err = capsys.readouterr()
    assert "read as CSV, cp1251, delimiter ;; headers on row 3" in out
    assert "would import 8 approaches for 6 organisations; 1 rows rejected" in out
    assert "line 12: 31.02.2023 is not a date" in err
    assert not Approach.objects.exists()


def test_command_line_reading_and_mapping_can_be_given(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_bytes("Журнал\nс;по;кто\n01.03.2023;UNHCR;Анна\n".encode("koi8-r"))
    with pytest.raises(CommandError, match="cannot tell which columns hold date, organisation"):
        call_command("outreach", "import", str(log), "--dry-run")
    call_command(
        "outreach", "import", "--encoding", "koi8-r", "--delimiter", "semicolon",
        "--header-row", "2", "--map", "date=A", "--map", "organisation=по",
        "--map", "contact=3", "--dry-run", str(log),
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "read as CSV, koi8-r, delimiter ;; headers on row 2" in out
    assert "organisation <- по" in out and "contact <- кто" in out
    assert "would import 1 approaches for 1 organisations; 0 rows rejected" in out
    with pytest.raises(CommandError, match="--map 'where=A': write FIELD=COLUMN"):
        call_command("outreach", "import", str(log), "--map", "where=A")
    with pytest.raises(CommandError, match="no column “Z9”"):
        call_command("outreach", "import", str(log), "--header-row", "2", "--map", "date=Z9")


def test_command_line_good_rows_and_the_rejected_file(tmp_path, capsys):
    rejected = tmp_path / "rejected.csv"
    call_command(
        "outreach", "import", str(CORPUS / "excel-ru-cp1251.csv"), "--good-rows", str(rejected)
    )
    out = capsys.readouterr().out
    assert "imported 8 approaches" in out and "1 rows rejected" in out
    assert Approach.objects.count() == 8
    lines = rejected.read_bytes().decode("cp1251").splitlines()
    assert lines[0].endswith(";Why this row was not imported")
    assert lines[1].startswith("31.02.2023;Pro Asyl;") and lines[1].endswith(
        "line 12: 31.02.2023 is not a date"
    )
    rejected.write_bytes(rejected.read_bytes().replace(b"31.02.2023", b"28.02.2023"))
    call_command("outreach", "import", str(rejected))
    assert "imported 1 approaches" in capsys.readouterr().out
    assert Approach.objects.count() == 9


def test_command_line_refuses_a_file_over_the_limit_with_its_size(tmp_path):
    big = tmp_path / "big.csv"
    header = b"Date,Organisation\n"
    big.write_bytes(header + b"0" * ((31 << 20) - len(header)))
    with pytest.raises(CommandError, match=r"The file is 31 MB; the limit is 20 MB"):
        call_command("outreach", "import", str(big))


def _preview(client) -> str:
    return client.get(reverse("outreach:import_preview")).content.decode()


def test_the_preview_shows_how_the_file_was_read_and_takes_corrections(client_for):
    client = client_for("coordinator")
    _upload(client, "journal.csv", (CORPUS / "excel-ru-cp1251.csv").read_bytes())
    page = _preview(client)
    assert "Detected: Windows-1251 (Cyrillic, Excel on Windows)" in page
    assert "Detected: semicolon ;" in page
    assert 'name="header_row" id="id_header_row" min="1" value="3"' in page
    assert "Found on row 3 by the names in it." in page
    assert "1 row above it (a title or notes) is not imported." in page
    assert '<option value="1" selected>B: Организация — Посольство Германии в Астане' in page
    assert "line 12: 31.02.2023 is not a date" in page
    # Read as KOI8-R by hand: the headers make no sense, nothing is guessed.
    client.post(
        reverse("outreach:import_preview"),
        {"encoding": "koi8-r", "delimiter": "", "header_row": "3"},
    )
    assert "Choose the columns for: Date, Organisation" in _preview(client)
    client.post(reverse("outreach:import_preview"), {"encoding": "", "header_row": "3"})
    page = _preview(client)
    assert "Choose the columns for" not in page and ">8<" in page
    # The comment taken for the organisation by hand: every row then says so.
    fields = {"field_date": "0", "field_organisation": "6", "header_row": "3"}
    client.post(reverse("outreach:import_preview"), fields)
    page = _preview(client)
    assert 'selected>G: Комментарий' in page and "Columns not imported:" in page
    assert "B: Организация" in page.split("Columns not imported:")[1]
    # Two fields from one column are refused, and nothing changes.
    both = {"field_date": "0", "field_organisation": "0", "header_row": "3"}
    page = client.post(reverse("outreach:import_preview"), both, follow=True).content.decode()
    assert "The column “Дата” is chosen for Date &amp; Organisation" in page


def test_good_rows_then_the_rejected_file_fixed_and_imported(client_for):
    client = client_for("coordinator")
    _upload(client, "journal.csv", (CORPUS / "every-reason.csv").read_bytes())
    page = _preview(client)
    assert (
        "line 3: 31.02.2023 is not a date; “Organisation” is empty; "
        "Response date: 30.02.2023 is not a date"
    ) in page
    assert 'name="mode" value="good"' in page
    done = client.post(reverse("outreach:import_confirm"), {"mode": "good"}, follow=True)
    text = done.content.decode()
    assert "Imported 1 approaches" in text and "3 rows were not imported" in text
    assert "Download journal-rejected.csv" in text
    download = client.get(reverse("outreach:import_rejected"))
    assert download["Content-Disposition"] == 'attachment; filename="journal-rejected.csv"'
    fixed = (
        download.content.decode("utf-8-sig")
        .replace("31.02.2023,,", "28.02.2023,IOM,")
        .replace("30.02.2023", "01.03.2023")
        .replace("01.03.2023,IOM", "10.03.2023,IOM")  # not before the approach any more
        .replace("11.03.2023,,", "11.03.2023,UNHCR,")
        .replace("10.03.2023,IOM,отказ,01.03.2023", "10.03.2023,IOM,отказ,12.03.2023")
    )
    _upload(client, "journal-rejected.csv", fixed.encode())
    page = _preview(client)
    assert "Columns not imported" not in page  # the reason column is passed over
    client.post(reverse("outreach:import_confirm"))
    assert Approach.objects.count() == 4
    assert client.get(reverse("outreach:import_rejected")).status_code == 404  # gone with it


def test_an_upload_over_the_limit_says_its_size(client_for):
    client = client_for("coordinator")
    page = _upload(client, "huge.csv", b"0" * (31 << 20)).content.decode()
    assert "The file is 31 MB; the limit is 20 MB." in page
    assert "This field is required" not in page
    page = _upload(client, "big.csv", b"0" * ((20 << 20) + 300_000)).content.decode()
    assert "The file is 20.3 MB; the limit is 20 MB." in page
