"""Reads the first visible worksheet of an XLSX or ODS file with python-calamine in a separate
process.

Run by ``workbook.read_workbook`` as ``python -I workbook_worker.py MAX_ROWS MAX_COLUMNS
MEMORY_BYTES`` with the file on stdin. Writes first one JSON line ``{"sheet": NAME,
"passed_over": [NAMES]}`` (the sheet read, and the hidden or empty sheets before it), then the
non-empty rows as JSON lines, each a list of up to ``CHUNK_ROWS`` ``[line, cells]`` pairs (one
line per row made the encoding and the parent's decoding cost more than calamine's reading).
It imports nothing from Waystation, so a crash here cannot take the server with it.
"""

import contextlib
import datetime
import io
import json
import sys

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

# Exit codes above those of Python itself (1, 2) and of abort() on Windows (3).
UNREADABLE, TOO_MANY_ROWS, TOO_MANY_COLUMNS, OUT_OF_MEMORY = 10, 11, 12, 13
CHUNK_ROWS = 4096


def _limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # Windows has no rlimits; the parent's timeout still applies there
        return
    # Some systems refuse the limit; the parent's timeout still applies there.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class _Tags(dict):
    """Each date or time value's JSON form, worked out once: a sheet repeats the same dates
    thousands of times, and the encoder then looks them up without calling Python."""

    def __missing__(self, value):
        # Tagged so that the parent gets back the same Python types calamine gave here.
        if isinstance(value, datetime.datetime):
            tagged = {"datetime": value.isoformat()}
        elif isinstance(value, datetime.date):
            tagged = {"date": value.isoformat()}
        elif isinstance(value, datetime.time):
            tagged = {"time": value.isoformat()}
        elif isinstance(value, datetime.timedelta):
            tagged = {"seconds": value.total_seconds()}
        else:
            raise TypeError(type(value).__name__)
        self[value] = tagged
        return tagged


def _write_rows(data: bytes, max_rows: int, max_columns: int, out) -> int:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    encode = json.JSONEncoder(
        default=_Tags().__getitem__, ensure_ascii=False, check_circular=False
    ).encode
    # People hide a sheet of lists or instructions in front of the log, or keep a chart
    # sheet there: the log is the first visible worksheet that holds anything.
    passed_over = []
    sheet = None
    for index, meta in enumerate(workbook.sheets_metadata):
        if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
            candidate = workbook.get_sheet_by_index(index)
            if candidate.height:
                sheet = candidate
                break
        passed_over.append(meta.name)
    if sheet is None:
        sheet = workbook.get_sheet_by_index(0)
        passed_over = []
    out.write(encode({"sheet": sheet.name, "passed_over": passed_over}).encode())
    out.write(b"\n")
    filled = 0
    chunk = []
    # iter_rows numbers rows from the top of the sheet, so the index gives the user's line.
    for index, row in enumerate(sheet.iter_rows(), start=1):
        while row and row[-1] in ("", None):
            row.pop()
        if not row:
            continue
        if len(row) > max_columns:
            return TOO_MANY_COLUMNS
        filled += 1
        if filled > max_rows + 1:  # the header row comes on top of the data rows
            return TOO_MANY_ROWS
        chunk.append([index, row])
        if len(chunk) == CHUNK_ROWS:
            out.write(encode(chunk).encode())
            out.write(b"\n")
            chunk = []
    if chunk:
        out.write(encode(chunk).encode())
        out.write(b"\n")
    return 0


def main() -> int:
    max_rows, max_columns, memory = (int(argument) for argument in sys.argv[1:4])
    _limit_memory(memory)
    data = sys.stdin.buffer.read()
    try:
        return _write_rows(data, max_rows, max_columns, sys.stdout.buffer)
    except MemoryError:
        return OUT_OF_MEMORY
    except BaseException as error:  # calamine's Rust panics arrive as a BaseException
        if isinstance(error, KeyboardInterrupt | SystemExit):
            raise
        return UNREADABLE


if __name__ == "__main__":
    sys.exit(main())
