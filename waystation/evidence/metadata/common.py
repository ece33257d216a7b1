"""What every format's reader shares: the budget a parser may spend on an untrusted file,
and turning what it found into plain JSON."""

import datetime
import io
import math
import numbers
import time
from collections.abc import Callable

READ_BUDGET = 64 << 20  # what one parser may read of a file, in bytes
TIME_BUDGET = 20.0  # seconds
_MAX_TEXT = 2000  # characters kept of any one value

# -- bounded reading --------------------------------------------------------------------------


class OverBudget(BaseException):
    """A parser read too much or took too long. A BaseException, so that a parser's own
    ``except Exception`` cannot swallow it and carry on."""


class Guarded(io.RawIOBase):
    """A seekable file that counts what a parser reads and stops it past the budget."""

    def __init__(self, inner):
        super().__init__()
        self._inner, self._left = inner, READ_BUDGET
        self._deadline = time.monotonic() + TIME_BUDGET

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def readinto(self, buffer) -> int:
        if time.monotonic() > self._deadline:
            raise OverBudget(f"took longer than {TIME_BUDGET:.0f} seconds")
        done = self._inner.readinto(buffer)
        self._left -= done
        if self._left < 0:
            raise OverBudget(f"needed to read more than {READ_BUDGET >> 20} MB")
        return done

# -- turning parser values into JSON ----------------------------------------------------------


def cut_text(value: str) -> str:
    return value.replace("\x00", "").strip()[:_MAX_TEXT]


def as_number(value) -> float | int | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 1 << 53 else round(number, 6)


def json_ready(value):
    """Plain JSON types only: no NaN, no bytes, no datetimes; long texts cut."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return cut_text(value)
    if isinstance(value, numbers.Real):  # floats, and EXIF's rationals
        return as_number(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return round(value.total_seconds(), 3)
    if isinstance(value, bytes):
        return printable(value)
    if isinstance(value, dict):
        found = {str(k): json_ready(v) for k, v in value.items()}
        return {k: v for k, v in found.items() if v not in (None, "", [], {})}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value][:100]
    return cut_text(str(value))


def printable(value: bytes) -> str | None:
    """Short ASCII bytes (a version "0232"), else nothing: binary blobs are left out."""
    value = value.rstrip(b"\x00")
    if len(value) <= 256 and value.isascii() and value.decode().isprintable():
        return value.decode()
    return None


def safe_value(read: Callable):
    try:
        return json_ready(read())
    except Exception:
        return None
