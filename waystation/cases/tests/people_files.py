"""Lists of people as groups keep them, written the way their programs write them: Excel on a
Russian Windows, Excel's "Unicode text", LibreOffice, Google Sheets. Made here rather than
kept as binary files, so that a reader sees exactly what each file holds."""

import csv
import io
from datetime import date, datetime


def csv_bytes(rows, *, encoding="utf-8", delimiter=",", bom=False, newline="\r\n") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    data = out.getvalue().encode(encoding)
    if bom and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    return data


def xlsx_bytes(rows, *, title=None, merge_title=0, hidden_sheet=False, sheet="Люди") -> bytes:
    """Rows as cells (dates stay date cells, numbers numbers). ``title``: a first row, merged
    over ``merge_title`` columns. ``hidden_sheet``: a hidden first sheet the import must pass
    over."""
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    if hidden_sheet:
        first.title = "Старое"
        first.append(["ФИО", "Телефон"])
        first.append(["Не тот лист", "+7 000"])
        first.sheet_state = "hidden"
        target = workbook.create_sheet(sheet)
    else:
        first.title = sheet
        target = first
    if title:
        target.append([title])
        if merge_title:
            target.merge_cells(start_row=1, start_column=1, end_row=1, end_column=merge_title)
        target.append([])
    for row in rows:
        target.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def ods_bytes(rows) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Personen")
    for row in rows:
        line = TableRow()
        for cell in row:
            if isinstance(cell, datetime | date):
                made = TableCell(valuetype="date", datevalue=cell.isoformat())
                made.addElement(P(text=cell.strftime("%d.%m.%Y")))
            elif isinstance(cell, int | float):
                made = TableCell(valuetype="float", value=cell)
                made.addElement(P(text=str(cell)))
            elif cell in (None, ""):
                made = TableCell()
            else:
                made = TableCell(valuetype="string")
                made.addElement(P(text=str(cell)))
            line.addElement(made)
        table.addElement(line)
    document.spreadsheet.addElement(table)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()
