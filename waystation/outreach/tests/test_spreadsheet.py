"""Reading the spreadsheets coordinators keep: the three sample files agree row for row; bad
files and bad cells are refused with a reason a person can act on."""

import io
import os
import zipfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waystation.core import spreadsheets as sheets
from waystation.core.spreadsheets import CellError, MappingError, SpreadsheetError
from waystation.outreach.spreadsheet.classify import channel, response_kind
from waystation.outreach.spreadsheet.schema import SCHEMA, approach_rows, organisation_count

SAMPLES = Path(__file__).resolve().parent / "samples"
FILES = ["outreach-log.csv", "outreach-log.xlsx", "outreach-log.ods"]


class _Plan:
    """The engine's plan with the rows as the outreach import writes them."""

    def __init__(self, plan):
        self.plan = plan
        self.rows = approach_rows(plan.records)
        self.rejected = [(r.line, "; ".join(r.reasons)) for r in plan.rejected]
        self.organisation_count = organisation_count(plan.records)


def read_table(data: bytes, _name: str = ""):
    return sheets.read_table(data, SCHEMA)


def _plan(data: bytes, name: str = "") -> _Plan:
    table = read_table(data)
    return _Plan(sheets.check(table, SCHEMA, sheets.guess_mapping(SCHEMA, table.headers)))


def parse_date(value):
    return sheets.Dates().column([value]).parse(value)


@pytest.fixture(scope="module")
def plans():
    if not SAMPLES.is_dir():
        pytest.fail(f"the sample spreadsheets are missing: expected them in {SAMPLES}")
    return {name: _plan((SAMPLES / name).read_bytes(), name) for name in FILES}


@pytest.mark.parametrize("name", FILES)
def test_each_sample_gives_the_known_counts(plans, name):
    plan = plans[name]
    assert len(plan.rows) == 29 and plan.rejected == []
    assert plan.organisation_count == 26
    no_answer = [r for r in plan.rows if r.response_kind == "none"]
    assert len(no_answer) == 17 and all(r.response_date is None for r in no_answer)
    assert all(r.response_text == "нет ответа" for r in no_answer)
    assert sum(1 for r in plan.rows if r.response_date) == 12


def test_the_three_formats_agree_field_by_field(plans):
    def fields(row):
        return (
            row.line,
            row.date,
            row.organisation,
            row.contact,
            row.channel,
            row.response_kind,
            row.response_text,
            row.response_date,
            row.comment,
        )

    csv_rows = [fields(r) for r in plans["outreach-log.csv"].rows]
    assert csv_rows == [fields(r) for r in plans["outreach-log.xlsx"].rows]
    assert csv_rows == [fields(r) for r in plans["outreach-log.ods"].rows]
    first, third = plans["outreach-log.csv"].rows[0], plans["outreach-log.csv"].rows[2]
    assert (first.date.value, first.organisation, first.contact, first.channel) == (
        date(2022, 10, 3),
        "Посольство Германии в Астане",
        "визовый отдел",
        "email",
    )
    assert third.organisation == "Pro Asyl" and third.response_kind == "referred"
    assert third.response_date.value == date(2022, 10, 20)
    assert third.comment == "переслали контакт юриста"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("нет ответа", "none"),
        ("", "none"),
        ("—", "none"),
        ("отказ", "declined"),
        ("не можем помочь", "declined"),
        ("автоответ", "acknowledged"),
        ("ответили: обратитесь в посольство", "referred"),
        ("Help offered", "help_offered"),
        ("виза выдана", "granted"),
        ("что-то непонятное", "other"),
    ],
)
def test_response_texts_map_to_kinds(text, kind):
    assert response_kind(text) == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("email", "email"),
        ("E-mail", "email"),
        ("звонок", "phone"),
        ("letter", "letter"),
        ("лично", "visit"),
        ("web form", "web_form"),
        ("Telegram", "messenger"),
        ("?", "other"),
    ],
)
def test_channels(text, kind):
    assert channel(text) == kind


@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2025, 12, 31)))
def test_written_dates_parse(day):
    for text in (day.strftime("%d.%m.%Y"), day.isoformat(), day.strftime("%d/%m/%Y")):
        assert parse_date(text).value == day
    serial = (day - date(1899, 12, 30)).days
    assert parse_date(serial).value == day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("March 2023", date(2023, 3, 1)),
        ("март 2023", date(2023, 3, 1)),
        ("в марте 2023", date(2023, 3, 1)),
        ("Sep 2024", date(2024, 9, 1)),
    ],
)
def test_month_and_year_keep_the_day_unknown(text, expected):
    parsed = parse_date(text)
    assert parsed.value == expected and parsed.day_known is False


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31.02.2023", "31.02.2023 is not a date"),
        ("1.1.1950", "01.01.1950 is before 1990"),
        ("01.01.2999", "01.01.2999 is in the future"),
        ("soon", "not a date this import understands"),
    ],
)
def test_impossible_dates_are_explained(text, reason):
    with pytest.raises(CellError, match=reason):
        parse_date(text)


def _csv(text: str, encoding="utf-8") -> bytes:
    return text.encode(encoding)


def test_windows_1251_with_semicolons():
    data = _csv("Дата;Организация;Ответ\n03.10.2022;Посольство Франции;отказ\n", "cp1251")
    plan = _plan(data, "log.csv")
    assert [(r.organisation, r.response_kind) for r in plan.rows] == [
        ("Посольство Франции", "declined")
    ]


def test_rejected_rows_carry_line_and_reason():
    data = _csv(
        "Дата,Организация,Ответ,Дата ответа\n"
        "03.10.2022,UNHCR,отказ,01.10.2022\n"
        "31.02.2023,UNHCR,,\n"
        '04.10.2022,"=HYPERLINK(""http://evil"",""click"")",,\n'
        "05.10.2022,,,\n"
        "06.10.2022,Pro Asyl,,\n"
    )
    plan = _plan(data, "log.csv")
    assert [r.line for r in plan.rows] == [4, 6]
    assert plan.rejected == [
        (2, "the response date is before the approach date"),
        (3, "31.02.2023 is not a date"),
        (5, "“Organisation” is empty"),
    ]
    # A formula is taken as the text it is, never evaluated, and flagged for the preview.
    assert [(f.line, f.field) for f in plan.plan.flags] == [(4, "organisation")]
    assert plan.rows[0].organisation == '=HYPERLINK("http://evil","click")'


def test_unknown_headers_need_a_mapping_and_accept_one():
    data = _csv("Column 1,Column 2,Column 3\n03.10.2022,UNHCR,declined\n")
    table = read_table(data)
    missing = sheets.guess_mapping(SCHEMA, table.headers).missing(SCHEMA)
    assert [f.name for f in missing] == ["date", "organisation"]
    choice = {"date": 0, "organisation": 1, "response": 2}
    mapping = sheets.mapping_from_choice(SCHEMA, table.headers, choice)
    assert _Plan(sheets.check(table, SCHEMA, mapping)).rows[0].response_kind == "declined"
    with pytest.raises(MappingError, match="is chosen for Date & Organisation"):
        sheets.mapping_from_choice(SCHEMA, table.headers, {"date": 0, "organisation": 0})


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            zeros = b"\0" * (1 << 20)
            for _ in range(300):  # 300 MiB of zeros, about 300 KiB compressed
                member.write(zeros)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"Date,Organisation\n", "no data rows below it"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 40, "not a CSV, XLSX or ODS"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100, "not a CSV, XLSX or ODS"),
        (b"PK\x03\x04" + b"garbage" * 20, "damaged archive"),
    ],
)
def test_bad_files_are_refused_clearly(data, message):
    with pytest.raises(SpreadsheetError, match=message):
        read_table(data, "upload.xlsx")


def test_a_zip_bomb_disguised_as_xlsx_is_refused():
    with pytest.raises(SpreadsheetError, match="unpacks to far more"):
        read_table(_zip_bomb(), "report.xlsx")


def test_fifty_megabytes_of_junk_is_refused_by_size():
    with pytest.raises(SpreadsheetError, match="The file is 50 MB; the limit is 20 MB"):
        read_table(os.urandom(50 << 20), "junk.csv")


def test_a_sparse_xlsx_is_refused_without_taking_the_process_down():
    # Two cells, A1 and XFD1048576: calamine would allocate 512 GB and abort the process.
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active["A1"] = "Date"
    workbook.active.cell(row=1_048_576, column=16_384, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(SpreadsheetError, match="too large to read"):
        read_table(buffer.getvalue(), "log.xlsx")


def test_workbook_lines_count_from_the_top_of_the_sheet():
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet["A3"], sheet["B3"] = "Date", "Organisation"
    sheet["A5"] = date(2022, 10, 3)  # organisation missing on the sheet's line 5
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = _plan(buffer.getvalue(), "log.xlsx")
    assert [line for line, _reason in plan.rejected] == [5]


@pytest.mark.parametrize(
    "text", ["+7 701 555 12 34", "@ivan_petrov", "- повторить в ноябре", "-", "+49 (30) 1234"]
)
def test_ordinary_text_is_not_taken_for_a_formula(text):
    data = f"Дата,Организация,Контактное лицо\n03.10.2022,UNHCR,{text}\n".encode()
    plan = _plan(data, "x.csv")
    assert plan.rejected == [] and plan.rows[0].contact == text


@pytest.mark.parametrize("text", ["=1+1", "@SUM(A1:A2)", '+HYPERLINK("x")', "-cmd|' /C calc'!A0"])
def test_formulas_are_taken_as_text_and_flagged(text):
    data = (
        'Дата,Организация,Комментарий\n03.10.2022,UNHCR,"' + text.replace('"', '""') + '"\n'
    ).encode()
    plan = _plan(data, "x.csv")
    assert plan.rejected == [] and plan.rows[0].comment == text
    assert plan.plan.flags == [sheets.Flag(2, "comment", text)]


def test_an_unclosed_quote_is_an_error_not_a_swallowed_file():
    data = 'Дата,Организация,Комментарий\n03.10.2022,UNHCR,"open\n04.10.2022,Pro Asyl,x\n'
    with pytest.raises(SpreadsheetError, match="cannot be read at row 2: a quote"):
        read_table(data.encode(), "x.csv")
