"""`waystation case import FILE [--dry-run]`: options before or after the file, the summary
line, every refused row on standard error, one readable line for bad input — and never a
value from a column that names a person."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from waystation.cases.models import Case, Identity

from .people_files import csv_bytes, xlsx_bytes
from .test_import import _bad_rows, excel_ru_cp1251

IDENTITY_VALUES = ("Иванов", "Дед", "123-45-67", "Петров", "Шмель", "+996", "Сидоров")


def _run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("case", "import", *map(str, args), stdout=out, stderr=err)
    except CommandError as problem:
        return out.getvalue(), err.getvalue(), str(problem)
    return out.getvalue(), err.getvalue(), None


@pytest.fixture
def ru_list(tmp_path):
    path = tmp_path / "люди.csv"
    path.write_bytes(excel_ru_cp1251())
    return path


@pytest.mark.parametrize("before", [True, False])
def test_dry_run_before_or_after_the_file(db, ru_list, before):
    args = ["--dry-run", ru_list] if before else [ru_list, "--dry-run"]
    out, err, failed = _run(*args)
    assert failed is None and err == ""
    assert out.splitlines()[0] == "read: CSV, cp1251, delimiter ;, headers on row 3"
    assert "A “ФИО” → legal_name (identity vault)" in out
    assert "D “Город” → city" in out
    assert out.splitlines()[-1] == "would import 3 cases; 0 rows rejected"
    assert Case.objects.count() == 0


def test_import_writes_the_cases_and_says_how_many(db, ru_list):
    out, _err, failed = _run(ru_list)
    assert failed is None
    assert out.splitlines()[-1] == "imported 3 cases (3 with identity details)"
    assert Case.objects.count() == 3
    assert {i.legal_name for i in Identity.objects.all()} == {
        "Иванов Иван Иванович",
        "Петров Пётр",
        "Сидоров С.",
    }


def test_no_identity_value_is_printed_even_for_refused_rows_and_formulas(db, tmp_path):
    rows = [
        ["ФИО", "Телефон", "Позывной", "Город", "Статус", "Заметки"],
        ["Иванов Иван", "+7 900 123-45-67", "Дед", "Алматы", "непонятно", "=1+1"],
        ["=Петров", "Сидоров", "Шмель", "Ош", "в пути", ""],
        ["Сидоров" * 60, "+996", "", "Ош", "в пути", ""],  # too long for a name: refused
    ]
    path = tmp_path / "list.csv"
    path.write_bytes(csv_bytes(rows))
    out, err, failed = _run("--dry-run", path)
    assert failed is None
    printed = out + err
    for value in IDENTITY_VALUES:
        assert value not in printed
    assert "line 2: “непонятно” is not a status" in err
    assert "line 3: legal_name looks like a formula; taken as text" in err
    assert "line 4: Legal name: " in err
    assert "=1+1" not in out  # flags name the field; the preview page shows non-sensitive text
    assert out.splitlines()[-1] == "would import 1 cases; 2 rows rejected"


def test_refused_rows_stop_the_import_with_one_line(db, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(_bad_rows())
    out, err, failed = _run(path)
    assert failed == (
        "2 rows cannot be imported; fix them in the file and try again, or import the other "
        "rows and get the refused ones back as a file. Nothing was written."
    )
    assert err.splitlines()[0].startswith("line 3: “непонятно” is not a status; ")
    assert out.splitlines()[-1] == "would import 2 cases; 2 rows rejected"
    assert Case.objects.count() == 0


def test_good_rows_with_the_refused_written_to_a_new_file(db, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(_bad_rows())
    rejected = tmp_path / "to-fix.csv"
    out, _err, failed = _run(path, "--good-rows", rejected)
    assert failed is None
    assert out.splitlines()[-1] == (
        f"imported 2 cases (2 with identity details); 2 rows rejected, written to {rejected} "
        "with the reasons"
    )
    text = rejected.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].endswith(",Why this row was not imported")
    assert "Второй Плохой" in text and "Четвёртый" in text
    assert Case.objects.count() == 2
    # The file is never overwritten.
    _out, _err, failed = _run(path, "--good-rows", rejected)
    assert failed == f"{rejected} exists already; choose a new file name"
    assert Case.objects.count() == 2


def test_encoding_delimiter_header_row_and_map_given_by_hand(db, tmp_path):
    rows = [
        ["Кто", "Где сейчас", "Положение дел"],
        ["Иванов", "Алматы", "задержан"],
    ]
    path = tmp_path / "list.txt"
    path.write_bytes(csv_bytes(rows, encoding="cp1251", delimiter="|"))
    out, _err, failed = _run(
        path,
        "--encoding",
        "cp1251",
        "--delimiter",
        "bar",
        "--header-row",
        "1",
        "--map",
        "city=Где сейчас",
        "--map",
        "status=C",
        "--map",
        "legal_name=1",
    )
    assert failed is None, failed
    assert "read: CSV, cp1251, delimiter |, headers on row 1" in out
    case = Case.objects.get()
    assert (case.city, case.status) == ("Алматы", "detained")
    assert Identity.objects.get(case=case).legal_name == "Иванов"


def test_a_column_can_be_left_out_with_an_empty_map(db, ru_list):
    out, _err, failed = _run(ru_list, "--map", "callsign=", "--dry-run")
    assert failed is None
    assert "B “Позывной”" in out.split("unused columns: ")[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "cannot read missing.csv: No such file or directory"),
        (["{ru}", "--map", "height=A"], "There is no field “height”"),
        (["{ru}", "--map", "city"], "--map city: write FIELD=COLUMN, e.g. city=Город"),
        (["{ru}", "--map", "city=Рост"], "The file has no column “Рост”"),
        (["{ru}", "--delimiter", ":"], "--delimiter: use comma, semicolon, tab or bar"),
        (["{ru}", "--header-row", "40"], "Row 40 is empty or not in the file"),
        (["{pdf}"], "This file is not a CSV, XLSX or ODS spreadsheet."),
    ],
)
def test_bad_input_is_one_readable_line(db, ru_list, tmp_path, args, message):
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4 not a list")
    args = [a.format(ru=ru_list, pdf=pdf) for a in args]
    _out, _err, failed = _run(*args)
    assert failed is not None and message in failed and "\n" not in failed
    assert Case.objects.count() == 0


def test_a_file_over_the_limit_says_both_sizes(db, tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"City\n" + b"Almaty\n" * (3 << 20))  # 21.1 MB
    _out, _err, failed = _run(path)
    assert failed == (
        "The file is 21.1 MB; the limit is 20 MB. Split it into parts and import them one by one."
    )


def test_an_xlsx_with_a_hidden_first_sheet_reads_the_visible_one(db, tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(xlsx_bytes([["Город", "Телефон"], ["Душанбе", "+992 000"]], hidden_sheet=True))
    out, err, failed = _run(path, "--dry-run")
    assert failed is None and err == ""
    assert out.splitlines()[0] == "read: XLSX, headers on row 1"
    assert "+992" not in out and "Не тот лист" not in out


def test_the_file_of_refused_people_is_readable_by_its_owner_only_and_says_so(db, tmp_path):
    """It names the people of those rows: not left readable to other accounts of the machine
    (whatever the umask), and the command says what it holds."""
    import os
    import stat

    previous = os.umask(0o022)
    try:
        path = tmp_path / "list.csv"
        path.write_bytes(_bad_rows())
        rejected = tmp_path / "to-fix.csv"
        _out, err, failed = _run(path, "--good-rows", rejected)
    finally:
        os.umask(previous)
    assert failed is None
    assert stat.S_IMODE(rejected.stat().st_mode) == 0o600
    assert f"{rejected} names the people of those rows as the list did" in err
