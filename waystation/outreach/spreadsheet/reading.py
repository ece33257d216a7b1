"""Reading CSV, XLSX and ODS files into rows, refusing what is not a spreadsheet, too big, or a
disguised zip bomb — before any parser sees it."""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.translation import gettext as _

from waystation.core.spreadsheets.bulk import collector_paused

MAX_INPUT_BYTES = 20 << 20
MAX_ROWS = 200_000
MAX_COLUMNS = 50
MAX_UNZIPPED_BYTES = 200 << 20
MAX_ZIP_RATIO = 100
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


class SpreadsheetError(Exception):
    """The file as a whole cannot be read; the message says what to do."""


class RawRow(NamedTuple):  # a tuple: built 100,000 times per large file, at a third the cost
    line: int  # as the user sees it: the header is line 1
    cells: list


@dataclass
class Table:
    headers: list[str]
    rows: list[RawRow] = field(default_factory=list)


# Files people pick by mistake: named by what they are, refused before any parser runs.
_NOT_SPREADSHEETS = [
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"Rar!",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
]
_OLD_EXCEL = b"\xd0\xcf\x11\xe0"


def _kind(data: bytes) -> str:
    if data.startswith(_OLD_EXCEL):
        raise SpreadsheetError(_("This is an old Excel (.xls) file: save it as XLSX and retry."))
    if any(data.startswith(magic) for magic in _NOT_SPREADSHEETS) or data[4:8] == b"ftyp":
        raise SpreadsheetError(_("This file is not a CSV, XLSX or ODS spreadsheet."))
    if data[:4] != b"PK\x03\x04":
        return "csv"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        _check_zip(archive)
        if "mimetype" in names and archive.read("mimetype").strip() == _ODS_MIME:
            return "ods"
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
    except zipfile.BadZipFile:
        raise SpreadsheetError(
            _("The file is a damaged archive; save it again and retry.")
        ) from None
    raise SpreadsheetError(_("This file is not a CSV, XLSX or ODS spreadsheet."))


def _check_zip(archive: zipfile.ZipFile) -> None:
    """XLSX and ODS are zip archives: refuse one that would unpack to something enormous."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO:
            raise SpreadsheetError(_("The file unpacks to far more than it holds; it is refused."))
    if total > MAX_UNZIPPED_BYTES:
        raise SpreadsheetError(_("The file unpacks to far more than it holds; it is refused."))


def _decode(data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise SpreadsheetError(_("This file is not a CSV, XLSX or ODS spreadsheet."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1251", errors="strict") if _looks_cp1251(data) else None
    if text is None:
        raise SpreadsheetError(
            _("The text is neither UTF-8 nor Windows-1251; save it as UTF-8 CSV and retry.")
        )
    return text


def _looks_cp1251(data: bytes) -> bool:
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text[:65536])
    return printable / max(1, min(len(text), 65536)) > 0.98


def _csv_rows(data: bytes) -> list[list]:
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        # strict: an unclosed quote is an error, not the rest of the file in one cell
        return list(csv.reader(io.StringIO(text, newline=""), dialect, strict=True))
    except csv.Error as problem:
        raise SpreadsheetError(
            _("The CSV file is malformed: %(problem)s") % {"problem": problem}
        ) from None


def _workbook_rows(data: bytes) -> Iterator[list]:
    # Imported here because the worker's parent side raises this module's SpreadsheetError.
    from waystation.core.spreadsheets.workbook import read_workbook

    rows = read_workbook(data, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
    next(rows, None)  # the note of the sheet read
    return rows


def _filled(cells: list) -> bool:
    """Whether any cell holds something other than blanks."""
    for cell in cells:
        if cell is None:
            continue
        if not isinstance(cell, str):
            return True  # a number, date or time always writes as something
        if cell and not cell.isspace():
            return True
    return False


@collector_paused()
def read_table(data: bytes, filename: str) -> Table:
    if not data.strip():
        raise SpreadsheetError(_("The file is empty."))
    if len(data) > MAX_INPUT_BYTES:
        raise SpreadsheetError(
            _("The file is larger than %(mb)d MB; split it into parts.")
            % {"mb": MAX_INPUT_BYTES >> 20}
        )
    kind = _kind(data)
    # Numbered by the row the user sees in the spreadsheet, before empty rows are left out.
    rows = enumerate(_csv_rows(data), start=1) if kind == "csv" else _workbook_rows(data)
    numbered = [RawRow(number, row) for number, row in rows if _filled(row)]
    if not numbered:
        raise SpreadsheetError(_("The file is empty."))
    headers, body = numbered[0].cells, numbered[1:]
    if len(headers) > MAX_COLUMNS:
        raise SpreadsheetError(
            _("The file has more than %(n)d columns; is it the right file?") % {"n": MAX_COLUMNS}
        )
    if not body:
        raise SpreadsheetError(_("The file has a header row but no data rows."))
    if len(body) > MAX_ROWS:
        raise SpreadsheetError(
            _("The file has more than %(n)d rows; split it into parts.") % {"n": MAX_ROWS}
        )
    return Table(
        headers=[str(h).strip() if h is not None else "" for h in headers],
        rows=body,  # both readers give fresh lists
    )
