"""XLSX and ODS files are parsed in a child process with a memory cap and a time limit.

python-calamine allocates every cell between the first and the last filled one at once: a
5 KB XLSX with one cell in A1 and one in XFD1048576 asks for 512 GB, and the failed allocation
aborts the whole process (a Rust abort, not a Python exception). Huge repeat counts in an ODS
do the same. Checking the zip container cannot see this, so the parser runs where a crash
costs only a clear error message.
"""

import datetime
import json
import subprocess
import sys
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import workbook_worker as worker
from .reading import SpreadsheetError

PARSER_MEMORY_BYTES = 2 * 1024 * 1024 * 1024
PARSER_SECONDS = 60

_WORKER = Path(worker.__file__)
# Lazy: worked out in the language of the request that meets the problem, not at import.
_UNREADABLE = gettext_lazy(
    "The spreadsheet cannot be read; open it in your spreadsheet program, save it again as "
    "XLSX or ODS and upload the new copy."
)
_TOO_COMPLEX = gettext_lazy(
    "The spreadsheet is too large to read, often because of a few cells far below or to the "
    "right of the log; copy the log alone into a new spreadsheet and upload that."
)


def read_workbook(data: bytes, *, max_rows: int, max_columns: int) -> list[list]:
    """The non-empty rows of the first sheet as [line, cells], trailing empty cells dropped."""
    command = [
        sys.executable,
        "-I",
        str(_WORKER),
        str(max_rows),
        str(max_columns),
        str(PARSER_MEMORY_BYTES),
    ]
    try:
        # A fixed command: the uploaded bytes only reach the child's stdin.
        done = subprocess.run(  # noqa: S603
            command, input=data, capture_output=True, timeout=PARSER_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise SpreadsheetError(_TOO_COMPLEX) from None
    if done.returncode == 1:  # the worker itself failed (not the file): a bug to see in logs
        raise RuntimeError(done.stderr.decode(errors="replace"))
    if done.returncode == worker.TOO_MANY_ROWS:
        raise SpreadsheetError(too_many_rows(max_rows))
    if done.returncode == worker.TOO_MANY_COLUMNS:
        raise SpreadsheetError(too_many_columns(max_columns))
    if done.returncode == worker.UNREADABLE:
        raise SpreadsheetError(_UNREADABLE)
    if done.returncode != 0:  # out of memory: killed by the cap, or aborted by calamine
        raise SpreadsheetError(_TOO_COMPLEX)
    decode = json.JSONDecoder(object_hook=_decode).decode
    rows = []
    # Split on b"\n" alone: text cells may hold U+2028 and the like, which str.splitlines
    # would take for line ends; the encoder escapes "\n" and "\r" inside strings.
    for line in done.stdout.split(b"\n"):
        if line:
            rows += decode(line.decode())
    return rows


def too_many_rows(limit: int) -> str:
    return _(
        "The spreadsheet has more than %(rows)s rows; split it into smaller files and import "
        "them one by one."
    ) % {"rows": f"{limit:,}"}


def too_many_columns(limit: int) -> str:
    return _(
        "The spreadsheet has more than %(columns)d columns; delete the columns that are not "
        "part of the log and try again."
    ) % {"columns": limit}


def _decode(tagged: dict):
    [(kind, value)] = tagged.items()
    if kind == "datetime":
        return datetime.datetime.fromisoformat(value)
    if kind == "date":
        return datetime.date.fromisoformat(value)
    if kind == "time":
        return datetime.time.fromisoformat(value)
    return datetime.timedelta(seconds=value)
