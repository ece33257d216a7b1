"""Reading CSV, XLSX and ODS files into numbered rows, refusing what is not a spreadsheet, too
big, or a disguised zip bomb — before any parser sees it.

CSV files come as people's programs save them: Excel on a Russian Windows writes cp1251 with
semicolons, Excel's "Unicode text" is UTF-16 with tabs, LibreOffice asks, Google Sheets
writes UTF-8 with commas. The encoding is worked out here (``ENCODINGS``), the delimiter and
quoting by clevercsv, which looks at how consistent the rows come out rather than guessing
from the first line as ``csv.Sniffer`` does; both can be given instead.
"""

import codecs
import csv
import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from .bulk import collector_paused
from .errors import SpreadsheetError

MAX_INPUT_BYTES = 20 << 20
MAX_ROWS = 200_000
MAX_COLUMNS = 50
MAX_UNZIPPED_BYTES = 200 << 20
MAX_ZIP_RATIO = 100
_SNIFF_CHARS = 32_768
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"

# The encodings offered on the preview, in the order tried after the byte-order marks.
ENCODINGS = {
    "utf-8": gettext_lazy("UTF-8 (Unicode)"),
    "utf-16": gettext_lazy("UTF-16 (Excel “Unicode text”)"),
    "cp1251": gettext_lazy("Windows-1251 (Cyrillic, Excel on Windows)"),
    "koi8-r": gettext_lazy("KOI8-R (Cyrillic, older Unix and mail)"),
    "koi8-u": gettext_lazy("KOI8-U (Ukrainian, older Unix and mail)"),
    "cp1252": gettext_lazy("Windows-1252 (Western European, Excel on Windows)"),
}
DELIMITERS = {
    ",": pgettext_lazy("CSV delimiter", "comma ,"),
    ";": pgettext_lazy("CSV delimiter", "semicolon ;"),
    "\t": pgettext_lazy("CSV delimiter", "tab"),
    "|": pgettext_lazy("CSV delimiter", "vertical bar |"),
}


class RawRow(NamedTuple):  # a tuple: built 100,000 times per large file, at a third the cost
    line: int  # the row number the user's spreadsheet program shows
    cells: list


@dataclass
class Grid:
    """A file as read: its filled rows, numbered as the user sees them, and how it was read."""

    kind: str  # "csv", "xlsx" or "ods"
    rows: list[RawRow]
    encoding: str = ""  # CSV: a key of ENCODINGS ("utf-8" also for UTF-8 with a BOM)
    delimiter: str = ""  # CSV: a key of DELIMITERS
    sheet: str = ""  # XLSX and ODS: the worksheet read
    passed_over: list[str] = field(default_factory=list)  # hidden or empty sheets before it


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


def size_text(size: int) -> str:
    """31 MB, 20.4 MB: rounded up, so a file just over the limit never reads as the limit."""
    megabytes = math.ceil(size * 10 / (1 << 20)) / 10
    return f"{megabytes:g} MB"


def too_large(size: int, limit: int = MAX_INPUT_BYTES) -> str:
    return _(
        "The file is %(size)s; the limit is %(limit)s. Split it into parts and import them one "
        "by one."
    ) % {"size": size_text(size), "limit": size_text(limit)}


def file_kind(data: bytes) -> str:
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


# --- encodings -------------------------------------------------------------------------------

_LETTERS = re.compile(r"[^\W\d_]+")


def _plausibility(text: str) -> float:
    """How much a decoded sample reads like words: each word scores, a word mixing Latin and
    Cyrillic letters or with upper case after lower case inside it (what a wrong Cyrillic
    code page makes of "Дата": "дБФБ") counts against; lower-case Cyrillic counts a little
    for (KOI8-R read as Windows-1251 turns most letters into capitals)."""
    # Box-drawing lines, odd symbols and control characters in a table of words mean the
    # wrong code page (Ukrainian "і" read as KOI8-R is "╕").
    score = -2.0 * sum(
        1
        for ch in text
        if ord(ch) > 127 and unicodedata.category(ch) in ("So", "Sm", "Sk", "Co", "Cn", "Cc")
    )
    for word in _LETTERS.findall(text):
        if word.isascii():
            continue
        cyrillic = sum("\u0400" <= ch <= "\u04ff" for ch in word)
        latin = sum(ch.isascii() or "\u00c0" <= ch <= "\u024f" for ch in word)
        if cyrillic and latin:
            score -= 2
        elif not (word.islower() or word.isupper() or word.istitle()):
            score -= 1
        elif latin and sum(not ch.isascii() for ch in word) * 2 > len(word):
            score -= 1  # "Äàòà": Russian read as Windows-1252
        else:
            score += 1 + 0.1 * sum(ch.islower() for ch in word if cyrillic)
    return score


def _utf16_without_bom(sample: bytes) -> str | None:
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = max(1, len(sample) // 2)
    if odd / half > 0.3 and even / half < 0.05:
        return "utf-16-le"
    if even / half > 0.3 and odd / half < 0.05:
        return "utf-16-be"
    return None


def detect_encoding(data: bytes) -> tuple[str, str]:
    """(the codec to decode with, the key of ENCODINGS to show)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "utf-16"
    sample = data[:65536]
    if b"\x00" in sample:
        codec = _utf16_without_bom(sample)
        if codec is None:
            raise SpreadsheetError(_("This file is not a CSV, XLSX or ODS spreadsheet."))
        return codec, "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8", "utf-8"
    best = None
    for candidate in ("cp1251", "koi8-r", "koi8-u", "cp1252"):
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text[:65536])
        if best is None or score > best[0]:
            best = (score, candidate)
    if best is None:
        raise SpreadsheetError(
            _(
                "The text is in none of the encodings this import knows (UTF-8, UTF-16, "
                "Windows-1251, KOI8-R, Windows-1252); save it as UTF-8 CSV and retry."
            )
        )
    return best[1], best[1]


def _decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding is None:
        codec, shown = detect_encoding(data)
    else:
        codec, shown = encoding, encoding
        if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
    try:
        return data.decode(codec), shown
    except (UnicodeDecodeError, LookupError):
        raise SpreadsheetError(
            _("The file cannot be read as %(encoding)s; choose another encoding.")
            % {"encoding": ENCODINGS.get(shown, shown)}
        ) from None


# --- CSV -------------------------------------------------------------------------------------

_SEP_LINE = re.compile(r"^\ufeff?sep=(.)\r?\n")  # Excel's hint line: "sep=;"


def _dialect(text: str, delimiter: str | None) -> tuple[str, str]:
    """(delimiter, quote character)."""
    if delimiter is not None:
        return delimiter, '"'
    import clevercsv  # a second to import: only when a CSV file's dialect must be guessed

    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS:  # a row cut in half would look inconsistent
        sample = sample[: sample.rfind("\n") + 1] or sample
    try:
        found = clevercsv.Sniffer().sniff(sample, delimiters=list(DELIMITERS))
    except Exception:  # clevercsv raises its own errors for text it cannot make out
        found = None
    if found is None or found.delimiter not in DELIMITERS:
        # One column, or nothing consistent: the delimiter that appears most, else a comma.
        counts = {d: sample.count(d) for d in DELIMITERS}
        chosen = max(counts, key=counts.get) if any(counts.values()) else ","
        return chosen, '"'
    return found.delimiter, found.quotechar or '"'


def _csv_rows(data: bytes, encoding: str | None, delimiter: str | None):
    text, shown = _decode(data, encoding)
    if text.startswith("\ufeff"):  # a BOM left by a codec given by hand
        text = text[1:]
    hinted = _SEP_LINE.match(text)
    skipped = 0
    if hinted:
        text = text[hinted.end() :]
        skipped = 1
        if delimiter is None and hinted.group(1) in DELIMITERS:
            delimiter = hinted.group(1)
    chosen, quote = _dialect(text, delimiter)
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=chosen, quotechar=quote, strict=True
    )
    rows = []
    number = skipped
    try:
        for number, row in enumerate(reader, start=1 + skipped):
            while row and not row[-1].strip():
                row.pop()
            if row:
                rows.append(RawRow(number, row))
                if len(rows) > MAX_ROWS + 50:  # room for title and totals rows
                    raise SpreadsheetError(too_many_rows(MAX_ROWS))
    except csv.Error:
        raise SpreadsheetError(
            _(
                "The CSV file cannot be read at row %(line)d: a quote there is not closed or "
                "stands inside a cell. Check that row, or choose another delimiter."
            )
            % {"line": number + 1}
        ) from None
    return rows, shown, chosen


def too_many_rows(limit: int) -> str:
    return _(
        "The spreadsheet has more than %(rows)s rows; split it into smaller files and import "
        "them one by one."
    ) % {"rows": f"{limit:,}"}


def too_many_columns(count: int, limit: int) -> str:
    return _(
        "The spreadsheet has %(count)d columns; the limit is %(limit)d. Delete the columns "
        "that are not part of the list and try again."
    ) % {"count": count, "limit": limit}


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
def read_grid(
    data: bytes, *, encoding: str | None = None, delimiter: str | None = None
) -> Grid:
    """Every filled row of a CSV file, or of the first visible worksheet of an XLSX or ODS
    file. ``encoding`` and ``delimiter`` (CSV only) override what is detected."""
    if not data.strip():
        raise SpreadsheetError(_("The file is empty."))
    if len(data) > MAX_INPUT_BYTES:
        raise SpreadsheetError(too_large(len(data)))
    if encoding is not None and encoding not in ENCODINGS:
        raise SpreadsheetError(_("Unknown encoding: %(name)s") % {"name": encoding[:20]})
    if delimiter is not None and delimiter not in DELIMITERS:
        raise SpreadsheetError(_("Choose a comma, semicolon, tab or vertical bar as delimiter."))
    kind = file_kind(data)
    if kind == "csv":
        rows, shown, chosen = _csv_rows(data, encoding, delimiter)
        grid = Grid(kind, rows, encoding=shown, delimiter=chosen)
    else:
        from .workbook import read_workbook  # its child process is needed only here

        given = read_workbook(data, max_rows=MAX_ROWS + 50, max_columns=MAX_COLUMNS)
        note = next(given, None) or {}
        # Numbered by the row the user sees in the spreadsheet, before empty rows are left out.
        rows = [RawRow(number, cells) for number, cells in given if _filled(cells)]
        grid = Grid(
            kind, rows, sheet=note.get("sheet", ""), passed_over=note.get("passed_over", [])
        )
    if kind == "csv":
        grid.rows = [row for row in grid.rows if _filled(row.cells)]
    if not grid.rows:
        raise SpreadsheetError(_("The file is empty."))
    widest = max(len(row.cells) for row in grid.rows)
    if widest > MAX_COLUMNS:
        raise SpreadsheetError(too_many_columns(widest, MAX_COLUMNS))
    return grid
