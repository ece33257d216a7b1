"""The import page for coordinators: upload, a preview that shows how the file was read and
lets the mapping be corrected without uploading again, confirm or cancel — and never a value
from a column that names a person. Everyone else is refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases.models import Case, Identity
from waystation.core.blobstore import BlobMissing, blob_store

from .people_files import csv_bytes
from .test_import import _bad_rows, excel_ru_cp1251

SECRETS = ("Иванов", "Дед", "123-45-67", "Петров", "Шмель", "+996", "Сидоров")
PENDING = "spreadsheet_import:cases"


def _upload(client, data: bytes, name="люди.csv"):
    return client.post(reverse("cases:import"), {"file": SimpleUploadedFile(name, data)})


def _preview(client) -> str:
    response = client.get(reverse("cases:import_preview"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return response.content.decode()


def test_coordinators_find_the_import_on_the_case_list(client_for):
    listing = client_for("coordinator").get(reverse("cases:list")).content.decode()
    assert reverse("cases:import") in listing and "Import a list of people" in listing
    assert "Import the list of people your group keeps." in listing  # no cases yet
    other = client_for("caseworker").get(reverse("cases:list")).content.decode()
    assert reverse("cases:import") not in other


@pytest.mark.parametrize(
    "name", ["caseworker", "lawyer", "documentation_officer", "screener", "treasurer"]
)
def test_everyone_but_a_coordinator_is_refused(client_for, name):
    client = client_for(name)
    assert _upload(client, excel_ru_cp1251()).status_code == 403
    assert client.get(reverse("cases:import")).status_code == 403
    assert client.get(reverse("cases:import_preview")).status_code == 403
    assert client.post(reverse("cases:import_confirm")).status_code == 403
    assert client.post(reverse("cases:import_cancel")).status_code == 403
    assert client.get(reverse("cases:import_rejected")).status_code == 403
    assert PENDING not in client.session and Case.objects.count() == 0


def test_preview_shows_the_cases_and_only_that_identity_fields_are_filled(client_for):
    client = client_for("coordinator")
    response = _upload(client, excel_ru_cp1251())
    assert response.status_code == 302 and response["Location"] == reverse("cases:import_preview")
    html = _preview(client)
    for value in SECRETS:
        assert value not in html
    assert "Into the identity vault" in html
    assert "A: ФИО" in html and "B: Позывной" in html and "C: Телефон" in html
    assert "filled: Legal name, Callsign or nickname, Phone" in html
    assert "Found on row 3 by the names in it." in html
    assert "Алматы" in html and "In danger now" in html and "wife, 2 × child (5, 8)" in html
    assert Case.objects.count() == 0


def test_a_column_mapped_to_the_vault_by_hand_shows_no_values(client_for):
    rows = [["Подопечный", "Город"], ["Иванов Иван", "Алматы"], ["Петров Пётр", "Ош"]]
    client = client_for("coordinator")
    _upload(client, csv_bytes(rows))
    before = _preview(client)
    assert "Into the identity vault" not in before
    # Not recognised, so it may name people: its values are not shown either.
    assert "Иванов" not in before and "Петров" not in before
    assert "A: Подопечный — filled" in before and "B: Город — Алматы, Ош" in before
    response = client.post(
        reverse("cases:import_preview"),
        {"field_legal_name": "0", "field_city": "1", "header_row": "1"},
    )
    assert response.status_code == 302
    html = _preview(client)
    assert "Иванов" not in html and "Петров" not in html
    assert "A: Подопечный" in html and "filled: Legal name" in html
    client.post(reverse("cases:import_confirm"))
    assert sorted(Identity.objects.values_list("case__city", flat=True)) == ["Алматы", "Ош"]
    assert {i.legal_name for i in Identity.objects.all()} == {"Иванов Иван", "Петров Пётр"}


def test_a_list_without_headers_shows_column_letters_only(client_for):
    rows = [["Иванов Иван", "+7 900 000"], ["Петров Пётр", "+7 901 000"]]
    client = client_for("coordinator")
    _upload(client, csv_bytes(rows))
    html = _preview(client)
    for value in ("Иванов", "Петров", "+7 90"):
        assert value not in html
    assert "A: (no header) — filled" in html


def test_rows_left_out_below_the_list_are_shown_by_number_only(client_for):
    rows = [
        ["ФИО", "Город", "Статус"],
        ["Иванов Иван", "Алматы", "в пути"],
        ["Петров Пётр", "Ош", "задержан"],
        [],
        ["Сидоров"],
    ]
    client = client_for("coordinator")
    _upload(client, csv_bytes(rows))
    html = _preview(client)
    assert "Сидоров" not in html and "row 5" in html


def test_a_wrong_mapping_is_corrected_without_uploading_again(client_for):
    rows = [["Место", "Положение"], ["Алматы", "задержан"], ["Ош", "в пути"]]
    client = client_for("coordinator")
    _upload(client, csv_bytes(rows))
    html = _preview(client)
    assert "Columns not imported:" in html and "A: Место" in html
    client.post(
        reverse("cases:import_preview"),
        {"field_city": "0", "field_status": "1", "header_row": "1"},
    )
    html = _preview(client)
    assert "Detained" in html and "Алматы" in html
    response = client.post(reverse("cases:import_confirm"))
    assert response.status_code == 302 and response["Location"] == reverse("cases:list")
    assert sorted(Case.objects.values_list("city", "status")) == [
        ("Алматы", "detained"),
        ("Ош", "in_transit"),
    ]


def test_confirm_writes_everything_and_deletes_the_upload(client_for, caplog):
    caplog.set_level("DEBUG")
    client = client_for("coordinator")
    _upload(client, excel_ru_cp1251())
    blob = client.session[PENDING]["blob"]
    response = client.post(reverse("cases:import_confirm"), follow=True)
    assert "3 cases opened from the list (3 with identity details in the vault)." in (
        response.content.decode()
    )
    assert Case.objects.count() == 3
    assert AuditEvent.objects.filter(event=Event.CASES_IMPORTED).count() == 1
    assert PENDING not in client.session
    with pytest.raises(BlobMissing):
        b"".join(blob_store().open(blob))
    logged = caplog.text + " ".join(str(record.args) for record in caplog.records)
    for value in SECRETS:
        assert value not in logged


def test_refused_rows_keep_all_or_nothing_unless_good_rows_are_chosen(client_for):
    client = client_for("coordinator")
    _upload(client, _bad_rows(), name="list.csv")
    html = _preview(client)
    assert "2 rows cannot be imported" in html
    assert "line 3" in html and "31.02.2023 is not a date" in html
    assert "Второй Плохой" not in html and "Первый Хороший" not in html
    response = client.post(reverse("cases:import_confirm"), follow=True)
    assert "2 rows cannot be imported" in response.content.decode()
    assert Case.objects.count() == 0
    response = client.post(reverse("cases:import_confirm"), {"mode": "good"}, follow=True)
    page = response.content.decode()
    assert "2 cases opened from the list" in page
    assert "Download list-rejected.csv" in page
    download = client.get(reverse("cases:import_rejected"))
    assert download["Content-Disposition"] == 'attachment; filename="list-rejected.csv"'
    text = download.content.decode("utf-8-sig")
    assert "Второй Плохой" in text and "Why this row was not imported" in text


def test_cancel_writes_nothing_and_deletes_the_upload(client_for):
    client = client_for("coordinator")
    _upload(client, excel_ru_cp1251())
    blob = client.session[PENDING]["blob"]
    response = client.post(reverse("cases:import_cancel"), follow=True)
    assert "The import was cancelled; nothing was written." in response.content.decode()
    assert Case.objects.count() == 0
    with pytest.raises(BlobMissing):
        b"".join(blob_store().open(blob))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4 a scan", "This file is not a CSV, XLSX or ODS spreadsheet."),
        (b"City\n" + b"Almaty\n" * (3 << 20), "; the limit is 20 MB."),
        (b"", "The submitted file is empty."),
    ],
)
def test_an_upload_that_is_not_a_list_says_why(client_for, data, message):
    client = client_for("coordinator")
    response = _upload(client, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    if "limit" in message:
        assert "The file is 21" in page  # the size said, as near as the request tells it
    assert PENDING not in client.session


def test_the_file_of_refused_people_is_given_once_to_the_importer_and_says_it_names_them(
    client_for,
):
    """The refused rows of a list of people carry their names: only the coordinator who
    imported gets them, once, told so; then the file is deleted from the store."""
    client = client_for("coordinator")
    _upload(client, _bad_rows(), name="list.csv")
    client.post(reverse("cases:import_confirm"), {"mode": "good"})
    page = client.get(reverse("cases:import")).content.decode()
    assert "once: the file is deleted when it has been downloaded" in page
    assert "It holds these rows as they were written, names too" in page
    blob = client.session[PENDING]["rejected"]
    other = client_for("coordinator")  # another session: another sign-in, another browser
    assert other.get(reverse("cases:import_rejected")).status_code == 404
    download = client.get(reverse("cases:import_rejected"))
    assert "Второй Плохой" in download.content.decode("utf-8-sig")
    assert client.get(reverse("cases:import_rejected")).status_code == 404
    assert PENDING not in client.session
    with pytest.raises(BlobMissing):
        b"".join(blob_store().open(blob))
    assert "Download list-rejected.csv" not in client.get(reverse("cases:import")).content.decode()


def test_signing_out_deletes_an_upload_left_waiting_and_a_file_of_refused_rows(client_for):
    """A list of people left on the preview, or refused rows not downloaded, do not stay in
    the file store once the session that could reach them is gone."""
    left = []
    for finish in (True, False):
        client = client_for("coordinator")
        _upload(client, _bad_rows(), name="list.csv")
        if finish:
            client.post(reverse("cases:import_confirm"), {"mode": "good"})
        state = client.session[PENDING]
        left.append(state["rejected"] if finish else state["blob"])
        assert client.post(reverse("accounts:logout")).status_code == 302
    for name in left:
        with pytest.raises(BlobMissing):
            b"".join(blob_store().open(name))
