"""XLSX and ODS files are parsed in a child process with a memory cap and a time limit.

python-calamine allocates every cell between the first and the last filled one at once: a
5 KB XLSX with one cell in A1 and one in XFD1048576 asks for 512 GB, and the failed allocation
aborts the whole process (a Rust abort, not a Python exception). Huge repeat counts in an ODS
do the same. Checking the zip container cannot see this, so the parser runs where a crash
costs only a clear error message.
"""

import contextlib
import datetime
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import workbook_worker as worker
from .errors import SpreadsheetError

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


def read_workbook(data: bytes, *, max_rows: int, max_columns: int) -> Iterator[list]:
    """First the worker's note of the sheet it read (``{"sheet": …, "passed_over": […]}``),
    then the non-empty rows of that sheet as [line, cells], trailing empty cells dropped,
    given as the worker writes them: the caller's work on them overlaps the worker's reading
    (for 100,000 rows, a quarter of the time read_table takes). A file that cannot be read
    raises SpreadsheetError after the rows given so far."""
    command = [
        sys.executable,
        "-I",
        str(_WORKER),
        str(max_rows),
        str(max_columns),
        str(PARSER_MEMORY_BYTES),
    ]
    decode = json.JSONDecoder(object_hook=_decode).decode
    # A fixed command: the uploaded bytes only reach the child's stdin.
    with subprocess.Popen(  # noqa: S603
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as child:
        # Read on the side, so that a long error message can never fill the pipe and stall
        # the worker while this side waits for its rows.
        errors = []
        drain = threading.Thread(target=lambda: errors.append(child.stderr.read()), daemon=True)
        drain.start()
        deadline = threading.Timer(PARSER_SECONDS, child.kill)
        deadline.start()
        read_all = False
        try:
            # A worker that ended early has closed its end; its exit code says why.
            with contextlib.suppress(BrokenPipeError):
                child.stdin.write(data)
            with contextlib.suppress(BrokenPipeError):
                child.stdin.close()
            # Lines end at b"\n" alone: text cells may hold U+2028 and the like, which
            # str.splitlines would take for line ends; the encoder escapes "\n" and "\r"
            # inside strings.
            for line in child.stdout:
                if not line.endswith(b"\n"):
                    break  # cut off: the worker was stopped (memory cap or time limit)
                decoded = decode(line.decode())
                if isinstance(decoded, dict):
                    yield decoded
                else:
                    yield from decoded
            read_all = True
        finally:
            # Disarmed, and a kill under way finished, before the worker is waited for: a
            # process id is never signalled after it was reaped (and perhaps reused).
            deadline.cancel()
            deadline.join()
            if not read_all:  # the caller stopped taking rows: stop the worker too
                child.kill()
        returncode = child.wait()  # its output has ended, so has it
        drain.join()
    if returncode == 1:  # the worker itself failed (not the file): a bug to see in logs
        raise RuntimeError(b"".join(errors).decode(errors="replace"))
    if returncode == worker.TOO_MANY_ROWS:
        raise SpreadsheetError(too_many_rows(max_rows))
    if returncode == worker.TOO_MANY_COLUMNS:
        raise SpreadsheetError(too_many_columns(max_columns))
    if returncode == worker.UNREADABLE:
        raise SpreadsheetError(_UNREADABLE)
    if returncode != 0:  # out of memory: killed by the cap, or aborted by calamine
        raise SpreadsheetError(_TOO_COMPLEX)


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
    if len(tagged) != 1:  # the worker's note of the sheet, not a tagged value
        return tagged
    [(kind, value)] = tagged.items()
    if kind == "datetime":
        return datetime.datetime.fromisoformat(value)
    if kind == "date":
        return datetime.date.fromisoformat(value)
    if kind == "time":
        return datetime.time.fromisoformat(value)
    return datetime.timedelta(seconds=value)
