"""Writing the log back out as CSV, XLSX or ODS, safe to open in any spreadsheet program."""

import csv
import io
from datetime import date

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe, which every
    spreadsheet shows as text; our import takes exactly that apostrophe off again."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(headers: list[str], rows: list[list], sheet: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
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
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(headers: list[str], rows: list[list], sheet: str) -> bytes:
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


def _ods(headers: list[str], rows: list[list], sheet: str) -> bytes:
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


def write_table(headers: list[str], rows: list[list], fmt: str, sheet: str = "Outreach") -> bytes:
    return WRITERS[fmt](headers, rows, sheet)
