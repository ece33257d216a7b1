"""The import engine on its own, with a small record kind of its own: dates with their
precision and reasons, encodings, the header row, the mapping, every reason of a row, what a
sensitive field never shows, the file of rejected rows, and limits said with numbers."""

import io
from datetime import date

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy

from waystation.core import spreadsheets as sheets
from waystation.core.spreadsheets.web import _samples, sensitive_columns

PEOPLE = sheets.Schema(
    fields=[
        sheets.Field("city", gettext_lazy("City"), required=True, synonyms=["город", "city"]),
        sheets.Field(
            "arrived",
            gettext_lazy("Date of arrival"),
            parser=sheets.Dates(),
            synonyms={"ru": ["дата прибытия", "прибыл"], "en": ["arrived"]},
        ),
        sheets.Field(
            "family",
            gettext_lazy("Family members"),
            parser=sheets.Integer(minimum=0, maximum=30),
            synonyms=["семья", "family"],
        ),
        sheets.Field(
            "full_name",
            gettext_lazy("Full name"),
            sensitive=True,
            parser=sheets.Text(max_chars=20),
            synonyms=["фио", "full name", "name"],
        ),
    ]
)


def _parse(text):
    parser = sheets.Dates().column([text])
    return parser.parse(text)


@pytest.mark.parametrize(
    ("cell", "value", "day_known"),
    [
        ("12.03.2023", date(2023, 3, 12), True),
        ("12.03.23", date(2023, 3, 12), True),
        ("2023-03-12", date(2023, 3, 12), True),
        ("12-03-2023", date(2023, 3, 12), True),
        ("12 марта 2023", date(2023, 3, 12), True),
        ("12 марта 2023 г.", date(2023, 3, 12), True),
        ("12. März 2023", date(2023, 3, 12), True),
        ("12 березня 2023 р.", date(2023, 3, 12), True),
        ("March 12, 2023", date(2023, 3, 12), True),
        ("март 2023", date(2023, 3, 1), False),
        ("в марте 2023", date(2023, 3, 1), False),
        ("березень 2023", date(2023, 3, 1), False),
        ("Mai 2023", date(2023, 5, 1), False),
        ("03/2023", date(2023, 3, 1), False),
        ("2023-03", date(2023, 3, 1), False),
        (45000, date(2023, 3, 15), True),
        (45000.75, date(2023, 3, 15), True),
        ("45000", date(2023, 3, 15), True),
        (date(2023, 3, 12), date(2023, 3, 12), True),
    ],
)
def test_dates_as_people_write_them(cell, value, day_known):
    assert _parse(cell) == sheets.ParsedDate(value, day_known)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("31.02.2023", "31.02.2023 is not a date"),
        ("29.02.2023", "29.02.2023 is not a date"),
        ("13/2023", "13/2023 is not a date"),
        ("1.1.1980", "01.01.1980 is before 1990"),
        ("01.01.2999", "01.01.2999 is in the future"),
        ("скоро", "“скоро” is not a date this import understands"),
    ],
)
def test_impossible_dates_say_why(cell, reason):
    with pytest.raises(sheets.CellError) as raised:
        _parse(cell)
    assert str(raised.value) == reason or str(raised.value).startswith(reason)
    assert "." not in str(raised.value.safe) or cell not in str(raised.value.safe)


def test_the_slash_order_comes_from_the_whole_column():
    day_first = sheets.Dates().column(["3/4/2023", "13/4/2023"])
    assert day_first.parse("3/4/2023").value == date(2023, 4, 3)
    assert day_first.notes == ["Dates with slashes are read day first, as 13/4/2023 shows."]
    month_first = sheets.Dates().column(["3/4/2023", "4/13/2023"])
    assert month_first.parse("3/4/2023").value == date(2023, 3, 4)
    assert "month first, as 4/13/2023 shows" in month_first.notes[0]
    unclear = sheets.Dates().column(["3/4/2023", "5/6/2023"])
    assert unclear.parse("3/4/2023").value == date(2023, 4, 3)
    assert "could be day or month first; they are read day first" in unclear.notes[0]


def test_a_month_is_refused_where_a_day_is_needed():
    with pytest.raises(sheets.CellError, match="names a month, not a day"):
        sheets.Dates(month_precision=False).parse("март 2023")


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("cp1251", "Город;ФИО\nАлматы;Пётр Иванович Сидоров\nБишкек;Мария\n"),
        ("koi8-r", "Город;ФИО\nАлматы;Пётр Иванович Сидоров\nБишкек;Мария\n"),
        ("cp1252", "City;Full name\nMünchen;Jürgen Weiß\nKöln;Anna\n"),
        ("utf-8", "Місто;ФІО\nКиїв;Ігор\n"),
        ("koi8-u", "Місто;ФІО\nКиїв;Ігор Вільний\n"),
    ],
)
def test_encodings_are_told_apart(encoding, text):
    grid = sheets.read_grid(text.encode(encoding))
    assert grid.encoding == encoding
    assert grid.rows[1].cells[1] == text.splitlines()[1].split(";")[1]


def test_utf16_without_a_byte_order_mark():
    grid = sheets.read_grid("City\tName\nAlmaty\tX\n".encode("utf-16-le"))
    assert (grid.encoding, grid.delimiter) == ("utf-16", "\t")


def test_the_encoding_and_delimiter_can_be_given():
    data = "Город,ФИО\nАлматы,Пётр\n".encode("cp1251")
    grid = sheets.read_grid(data, encoding="cp1251", delimiter=";")
    assert grid.rows[0].cells == ["Город,ФИО"]  # as asked, even if wrong
    with pytest.raises(sheets.SpreadsheetError, match="cannot be read as UTF-16"):
        sheets.read_grid(b"abc", encoding="utf-16")


def test_the_header_row_is_found_by_its_names_and_can_be_chosen():
    data = "Список людей\n\nподготовлено 01.03\nГород;Семья;ФИО\nАлматы;2;X\nБишкек;;Y\n"
    table = sheets.read_table(data.encode(), PEOPLE)
    assert (table.header_line, len(table.above), len(table.rows)) == (4, 2, 2)
    chosen = sheets.read_table(data.encode(), PEOPLE, sheets.ReadOptions(header_row=3))
    assert chosen.header_line == 3 and not chosen.header_guessed
    with pytest.raises(sheets.SpreadsheetError, match="Row 2 is empty or not in the file"):
        sheets.read_table(data.encode(), PEOPLE, sheets.ReadOptions(header_row=2))


def test_without_known_names_the_first_wide_row_is_the_header():
    table = sheets.read_table(b"Title\n\nA;B;C\n1;2;3\n", PEOPLE)
    assert table.header_line == 3 and table.headers == ["A", "B", "C"]


def test_totals_and_notes_below_are_left_out_and_data_rows_with_gaps_kept():
    data = "Город;Семья;ФИО\nАлматы;2;X\n\nБишкек;1;Y\n\nИтого: 2;;\nСоставила: Н.\n"
    table = sheets.read_table(data.encode(), PEOPLE)
    assert [row.line for row in table.rows] == [2, 4]
    assert [row.line for row in table.below] == [6, 7]


def test_column_names_letters_and_numbers():
    headers = ["Город", "Семья", "ФИО"]
    assert sheets.column_index(headers, "фио") == 2
    assert sheets.column_index(headers, "B") == 1
    assert sheets.column_index(headers, "1") == 0
    with pytest.raises(sheets.MappingError, match="no column “Имя”; its columns are: Город"):
        sheets.column_index(headers, "Имя")


def test_a_column_moved_to_another_field_is_released():
    headers = ["Город", "Прибыл", "Дата"]
    guessed = sheets.guess_mapping(PEOPLE, headers)
    assert guessed.columns == {"city": 0, "arrived": 1}
    moved = sheets.mapping_with(PEOPLE, headers, guessed, {"arrived": 2})
    assert moved.columns == {"city": 0, "arrived": 2} and moved.chosen
    assert moved.unused(headers) == [(1, "Прибыл")]
    with pytest.raises(sheets.MappingError, match="“Город” is chosen for City & Date of arrival"):
        sheets.mapping_from_choice(PEOPLE, headers, {"city": 0, "arrived": 0})


def test_the_labels_in_every_language_are_headers_too():
    with translation.override("de"):
        german = str(PEOPLE.field("family").label)
    assert sheets.guess_mapping(PEOPLE, ["city", german]).columns["family"] == 1


def _plan(text: str, schema=PEOPLE):
    table = sheets.read_table(text.encode(), schema)
    return sheets.check(table, schema, sheets.guess_mapping(schema, table.headers))


def test_every_problem_of_a_row_is_told_and_a_name_never_quoted():
    plan = _plan(
        "Город;Прибыл;Семья;ФИО\n"
        "Алматы;12.03.2023;2;Пётр\n"
        ";31.02.2023;много;Пётр Иванович Сидоров-Заде\n"
    )
    [rejected] = plan.rejected
    assert rejected.line == 3
    assert rejected.reasons == (
        "“City” is empty",
        "31.02.2023 is not a date",
        "“много” is not a whole number",
        "Full name: the cell is longer than 20 characters",
    )
    assert sheets.reason_text(3, rejected.reasons).startswith("line 3: “City” is empty; 31.02")
    [record] = plan.records
    assert record.values == {
        "city": "Алматы",
        "arrived": sheets.ParsedDate(date(2023, 3, 12)),
        "family": 2,
        "full_name": "Пётр",
    }


def test_a_sensitive_value_is_never_shown_in_a_reason_flag_or_sample():
    plan = _plan("Город;ФИО;Семья\nАлматы;=Пётр(1);x\nБишкек;Мария;1\n")
    assert plan.flags == [sheets.Flag(2, "full_name", "")]
    assert all("Пётр" not in reason for r in plan.rejected for reason in r.reasons)
    hidden = sensitive_columns(PEOPLE, plan.table.headers, plan.mapping)
    assert hidden == {1}
    samples = _samples(plan.table, hidden)
    assert samples[1] == ["filled"] and samples[0] == ["Алматы", "Бишкек"]


def test_more_reasons_from_the_database_join_the_rows():
    plan = _plan("Город;Семья\nАлматы;x\nБишкек;1\nОш;2\n")
    plan.reject({2: ["no such city"], 3: ["no such city"]})
    assert [(r.line, r.reasons) for r in plan.rejected] == [
        (2, ("“x” is not a whole number", "no such city")),
        (3, ("no such city",)),
    ]
    assert [r.line for r in plan.records] == [4]


def test_what_is_refused_before_writing():
    plan = _plan("Город;Семья\nАлматы;x\nБишкек;1\n")
    with pytest.raises(sheets.ImportRefused, match="1 row cannot be imported"):
        plan.refuse_unless_importable()
    plan.refuse_unless_importable(sheets.GOOD_ROWS)
    nothing = _plan("Город;Семья\nАлматы;x\n")
    with pytest.raises(sheets.ImportRefused, match="no rows to import"):
        nothing.refuse_unless_importable(sheets.GOOD_ROWS)
    unmapped = _plan("A;B\n1;2\n")
    with pytest.raises(sheets.ImportRefused, match="Choose the columns for: City"):
        unmapped.refuse_unless_importable(sheets.GOOD_ROWS)


def test_rejected_rows_come_back_in_the_same_csv_and_pass_on_reimport():
    data = "Список\nГород;Семья\nАлматы;x\nБишкек;1\n".encode("cp1251")
    table = sheets.read_table(data, PEOPLE)
    plan = sheets.check(table, PEOPLE, sheets.guess_mapping(PEOPLE, table.headers))
    content, extension, content_type = sheets.rejected_file(plan)
    assert (extension, content_type) == ("csv", "text/csv; charset=utf-8")
    assert content.decode("cp1251").splitlines() == [
        "Город;Семья;Why this row was not imported",
        "Алматы;x;line 3: “x” is not a whole number",
    ]
    fixed = content.decode("cp1251").replace("Алматы;x", "Алматы;3").encode("cp1251")
    again = sheets.read_table(fixed, PEOPLE)
    mapping = sheets.guess_mapping(PEOPLE, again.headers)
    assert mapping.unused(again.headers) == []  # the reason column is passed over
    replan = sheets.check(again, PEOPLE, mapping)
    assert replan.rejected == [] and replan.records[0].values["family"] == 3


def test_rejected_rows_of_a_workbook_come_back_as_a_workbook():
    from openpyxl import Workbook, load_workbook

    workbook = Workbook()
    workbook.active.append(["Город", "Прибыл", "Семья"])
    workbook.active.append(["Алматы", date(2023, 3, 1), "x"])
    # A real formula: never evaluated; with no value kept by the program that saved it, the
    # cell is empty.
    workbook.active.append(["=HYPERLINK(1)", date(2023, 3, 2), 1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = sheets.read_table(buffer.getvalue(), PEOPLE)
    plan = sheets.check(table, PEOPLE, sheets.guess_mapping(PEOPLE, table.headers))
    content, extension, _type = sheets.rejected_file(plan)
    assert extension == "xlsx"
    rows = list(load_workbook(io.BytesIO(content)).active.values)
    assert rows[0] == ("Город", "Прибыл", "Семья", "Why this row was not imported")
    assert rows[1][:3] == ("Алматы", rows[1][1], "x") and rows[1][1].date() == date(2023, 3, 1)
    assert rows[2] == (None, rows[2][1], 1, "line 3: “City” is empty")


def test_limits_are_said_with_their_numbers():
    assert sheets.too_large(31 << 20) == (
        "The file is 31 MB; the limit is 20 MB. Split it into parts and import them one by one."
    )
    assert sheets.size_text((20 << 20) + 1) == "20.1 MB"
    wide = ";".join(f"c{i}" for i in range(60)) + "\n" + ";".join("1" * 60) + "\n"
    with pytest.raises(sheets.SpreadsheetError, match="has 60 columns; the limit is 50"):
        sheets.read_grid(wide.encode())


def test_a_hidden_first_sheet_is_passed_over():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "Hidden"
    workbook.active.append(["secret"])
    workbook.active.sheet_state = "hidden"
    visible = workbook.create_sheet("People")
    visible.append(["Город"])
    visible.append(["Алматы"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    grid = sheets.read_grid(buffer.getvalue())
    assert (grid.sheet, grid.passed_over) == ("People", ["Hidden"])
    assert [row.cells for row in grid.rows] == [["Город"], ["Алматы"]]
