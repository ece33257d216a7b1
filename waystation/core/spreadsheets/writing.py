"""Writing tables out as CSV, XLSX or ODS, safe to open in any spreadsheet program: the
outreach log and the ledger's exports, and the file of rejected rows an import gives back."""

import csv
import io
from datetime import date, datetime, time, timedelta

from .checking import reason_text
from .errors import REASON_HEADER

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe, which every
    spreadsheet shows as text; our import takes exactly that apostrophe off again."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(
    headers: list[str], rows: list[list], sheet: str, delimiter=",", encoding="utf-8"
) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(
            [
                v.strftime("%d.%m.%Y")
                if isinstance(v, date)
                else ("" if v is None else safe_cell(v))
                for v in row
            ]
        )
    text = buffer.getvalue()
    if encoding in ("utf-8", "utf-16"):  # with a byte-order mark, which Excel needs
        return ("\ufeff" + text).encode(encoding if encoding == "utf-8" else "utf-16-le")
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:  # a reason in a language the code page cannot write
        return ("\ufeff" + text).encode("utf-8")


def _xlsx(headers: list[str], rows: list[list], sheet: str, **_csv_only) -> bytes:
    # openpyxl and odfpy are imported when a workbook is written (a quarter and half a second
    # to import), not by every process that loads the import engine.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(headers)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):  # control characters are not allowed in XLSX
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = WriteOnlyCell(worksheet, value=safe_cell(value))
            if isinstance(value, date):
                cell.number_format = "DD.MM.YYYY"
            elif isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            cells.append(cell)
        worksheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _ods(headers: list[str], rows: list[list], sheet: str, **_csv_only) -> bytes:
    # Imported here for the reason given in _xlsx.
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name=sheet)
    for values in [headers, *rows]:
        row = TableRow()
        for value in values:
            if isinstance(value, date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
                cell.addElement(P(text=value.strftime("%d.%m.%Y")))
            else:
                text = "" if value is None else str(safe_cell(value))
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=text))
            row.addElement(cell)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()

WRITERS = {"csv": _csv, "xlsx": _xlsx, "ods": _ods}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


def write_table(
    headers: list[str],
    rows: list[list],
    fmt: str,
    sheet: str = "Outreach",
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    """``delimiter`` and ``encoding`` (a key of reading.ENCODINGS) apply to CSV only; UTF-8 and
    UTF-16 are written with a byte-order mark, and a code page that cannot hold every
    character falls back to UTF-8."""
    return WRITERS[fmt](headers, rows, sheet, delimiter=delimiter, encoding=encoding)


def _plain(value):
    """A cell as the writers take it: times and durations as text."""
    if isinstance(value, time | timedelta):
        return str(value)
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date()
    return value


def rejected_file(plan) -> tuple[bytes, str, str]:
    """The rejected rows of an import as a file in the format they came in (CSV with the
    same delimiter and, where it can hold the reasons, the same encoding), with the header
    row and a last column saying why each row was refused: to fix and import again. Returns
    (content, file extension, content type)."""
    table = plan.table
    headers = [*table.headers, str(REASON_HEADER)]
    width = len(table.headers)
    rows = []
    for rejected in plan.rejected:
        cells = [_plain(cell) for cell in rejected.cells[:width]]
        cells += [None] * (width - len(cells))
        rows.append([*cells, reason_text(rejected.line, rejected.reasons)])
    grid = table.grid
    content = write_table(
        headers,
        rows,
        grid.kind,
        sheet=(grid.sheet or "Rejected")[:31],
        delimiter=grid.delimiter or ",",
        encoding=grid.encoding or "utf-8",
    )
    return content, grid.kind, CONTENT_TYPES[grid.kind]
