"""Property-based: valid rows written out as messy files — random title and blank rows,
delimiter, quoting, encoding, byte-order mark, date forms, column order, header synonyms,
CSV or XLSX — come back as the same records; and one broken cell gives exactly that row's
reason, every other row still good."""

import csv
import io
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waystation.core import spreadsheets as sheets
from waystation.outreach.spreadsheet.schema import SCHEMA

ORGANISATIONS = [
    "Посольство Германии в Астане",
    'ООО "Рога, копыта"',
    "Pro Asyl",
    "UNHCR; Kazakhstan",
    "Amnesty International",
    "Фонд «Ковчег»",
    "Memorial | Мемориал",
    "IOM Almaty",
    "Посольство Франции, консульский отдел",
    "Правозащитный центр",
]
CONTACTS = ["", "визовый отдел", "Иван Петров", "Anna Schmidt", "консул", 'отдел "Б"']
ANSWERS = ["", "нет ответа", "отказ\tписьмом", "обратитесь в посольство", "автоответ, ждите"]
HEADERS = {
    "date": ["Дата", "Date", "Дата обращения", "Datum", "Когда", "Дата звернення"],
    "organisation": ["Организация", "Organisation", "Куда", "Wohin", "Organization", "Куди"],
    "contact": ["Контактное лицо", "Contact person", "Кому", "Ansprechpartner", "Контакт"],
    "response": ["Ответ", "Response", "Antwort", "Відповідь", "Reply"],
}
TITLES = ["Журнал обращений", "Outreach log 2023", "Обращения (не удалять!)", "Stand: Mai 2023"]
MONTHS_RU = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
             "сентября", "октября", "ноября", "декабря"]  # fmt: skip


def _date_text(day: date, form: str) -> str:
    if form == "dotted":
        return day.strftime("%d.%m.%Y")
    if form == "iso":
        return day.isoformat()
    if form == "slashed":  # day first; the column decides, and day first is the default
        return f"{day.day}/{day.month}/{day.year}"
    return f"{day.day} {MONTHS_RU[day.month - 1]} {day.year}"


records = st.lists(
    st.tuples(
        st.dates(min_value=date(2015, 1, 1), max_value=date(2024, 12, 31)),
        st.sampled_from(ORGANISATIONS),
        st.sampled_from(CONTACTS),
        st.sampled_from(ANSWERS),
    ),
    min_size=1,
    max_size=25,
)
layouts = st.fixed_dictionaries(
    {
        "format": st.sampled_from(["csv", "csv", "csv", "xlsx"]),
        "delimiter": st.sampled_from([",", ";", "\t", "|"]),
        "quoting": st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
        "encoding": st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1251", "koi8-r"]),
        "crlf": st.booleans(),
        "titles": st.lists(st.sampled_from(TITLES), max_size=2),
        "blank_above": st.integers(0, 2),
        "date_form": st.sampled_from(["dotted", "iso", "slashed", "words", "cell"]),
        "order": st.permutations(["date", "organisation", "contact", "response"]),
        "headers": st.fixed_dictionaries({k: st.sampled_from(v) for k, v in HEADERS.items()}),
    }
)


_KOI8_R = set(bytes(range(256)).decode("koi8-r"))


def _koi8(layout: dict) -> bool:  # KOI8-R has no « »
    return layout["format"] == "csv" and layout["encoding"] == "koi8-r"


def _plain_quotes(text: str) -> str:
    return text.replace("«", '"').replace("»", '"')


def _write(rows: list[tuple], layout: dict) -> tuple[bytes, int, str]:
    """The file, the line of its header row, and the codec it was written with."""
    if _koi8(layout):
        rows = [(d, _plain_quotes(o), c, a) for d, o, c, a in rows]
    order = layout["order"]
    table = []
    for title in layout["titles"]:
        table.append([title])
    table += [[]] * layout["blank_above"]
    header_line = len(table) + 1
    table.append([layout["headers"][name] for name in order])
    for day, organisation, contact, answer in rows:
        values = {
            "date": day if layout["date_form"] == "cell" else None,
            "organisation": organisation,
            "contact": contact,
            "response": answer,
        }
        if values["date"] is None:
            values["date"] = _date_text(day, layout["date_form"])
        table.append([values[name] for name in order])
    if layout["format"] == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        for row in table:
            workbook.active.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue(), header_line, ""
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer,
        delimiter=layout["delimiter"],
        quoting=layout["quoting"],
        lineterminator="\r\n" if layout["crlf"] else "\n",
    )
    for row in table:
        writer.writerow(
            [v.strftime("%d.%m.%Y") if isinstance(v, date) else v for v in row] if row else []
        )
    text = buffer.getvalue()
    encoding = layout["encoding"]
    if encoding == "utf-16":
        return ("\ufeff" + text).encode("utf-16-le"), header_line, "utf-16-le"
    if encoding == "koi8-r" and not all(ch in _KOI8_R for ch in set(text)):
        encoding = "koi8-u"  # Ukrainian headers: what a Ukrainian system would write
    return text.encode(encoding), header_line, encoding


def _read(data: bytes):
    table = sheets.read_table(data, SCHEMA)
    return table, sheets.check(table, SCHEMA, sheets.guess_mapping(SCHEMA, table.headers))


def _expected(rows, layout):
    if _koi8(layout):
        return [(d, _plain_quotes(o), c, a) for d, o, c, a in rows]
    return list(rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=records, layout=layouts)
def test_messy_files_give_back_the_same_records(rows, layout):
    data, header_line, _codec = _write(rows, layout)
    table, plan = _read(data)
    assert table.header_line == header_line
    assert plan.rejected == []
    got = [
        (
            values["date"].value,
            values["organisation"],
            values["contact"],
            values["response"],
        )
        for _line, values in plan.records
    ]
    assert got == _expected(rows, layout)
    assert [line for line, _values in plan.records] == list(
        range(header_line + 1, header_line + 1 + len(rows))
    )


BREAKS = {
    "date": ("31.02.2023", "31.02.2023 is not a date"),
    "organisation": ("", "“Organisation” is empty"),
}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=records,
    layout=layouts,
    which=st.integers(min_value=0),
    field=st.sampled_from(sorted(BREAKS)),
)
def test_one_broken_cell_gives_exactly_that_rows_reason(rows, layout, which, field):
    broken = which % len(rows)
    day, organisation, contact, answer = rows[broken]
    layout = {**layout, "date_form": "dotted" if field == "date" else layout["date_form"]}
    if _koi8(layout):
        organisation = _plain_quotes(organisation)
    # The file with a marker in the row's organisation cell, then the marker replaced by the
    # broken cell (and the organisation put back), in whatever format it was written.
    text, reason = BREAKS[field]
    patched = list(rows)
    patched[broken] = (day, "BROKEN-CELL-MARKER", contact, answer)
    data, header_line, codec = _write(patched, layout)
    if layout["format"] == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data))
        for row in workbook.active.iter_rows():
            for cell in row:
                if cell.value == "BROKEN-CELL-MARKER":
                    column = layout["order"].index(field)
                    cell.value = None
                    row[column].value = text or None
                    if field == "date":
                        cell.value = organisation
        buffer = io.BytesIO()
        workbook.save(buffer)
        data = buffer.getvalue()
    else:
        encoding = codec
        decoded = data.decode(encoding)
        lines = decoded.splitlines(keepends=True)
        index = header_line - 1 + 1 + broken  # the broken record's physical line
        assert "BROKEN-CELL-MARKER" in lines[index]
        fields = next(csv.reader([lines[index]], delimiter=layout["delimiter"]))
        position = fields.index("BROKEN-CELL-MARKER")
        fields[position] = organisation
        fields[layout["order"].index(field)] = text
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=layout["delimiter"], lineterminator="\n").writerow(fields)
        ending = "\r\n" if lines[index].endswith("\r\n") else "\n"
        lines[index] = buffer.getvalue().rstrip("\n") + ending
        data = "".join(lines).encode(encoding)
    _table, plan = _read(data)
    line = header_line + 1 + broken
    assert [(r.line, r.reasons) for r in plan.rejected] == [(line, (reason,))]
    assert len(plan.records) == len(rows) - 1
