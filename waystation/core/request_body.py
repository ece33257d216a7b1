"""Request bodies held in this process's memory as the socket gave them, for waitress.

Waitress keeps a request body until all of it has arrived, then runs the view. Its own buffer
copies each piece read from the socket into a ``BytesIO`` and, above ``inbuf_overflow``
(512 KiB), into a temporary file (in memory-backed ``/dev/shm``, see the serve command), which
the view then reads back: two more copies of every byte, and pages of the temporary file
written and freed for each request. For a resumable upload (tus PATCHes of 32 MiB) that was
the largest part of what the transport cost the server.

Here a body of up to ``PER_BODY`` bytes (declared by Content-Length) is kept as the list of
pieces ``recv`` returned, without copying; the view reads it as a file (whole pieces as they
are when a read asks for exactly one, otherwise one join). Nothing of it is ever written to a
file, so it never reaches a disk in the clear. Memory is bounded: the bodies held this way at
once stay within ``budget`` bytes (the serve command gives threads × ``PER_BODY``); a body
that would pass it, a larger one, or a chunked one goes through waitress's own buffer as
before. The reservation is given back when the request is closed (or, for a connection that
broke off mid-body, when its body is collected).
"""

import contextlib
import ctypes
import threading

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.receiver import FixedStreamReceiver

PER_BODY = 64 * 1024 * 1024  # a PATCH of the benchmark's client (16 MiB) four times over

# glibc's malloc (mallopt parameters): pieces of up to 4 MiB come from the heap, and up to
# 256 MiB freed at its top stay with the process instead of going back to the system.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEEP_FREED = 256 * 1024 * 1024
_FROM_HEAP = 4 * 1024 * 1024


class _Budget:
    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self, size: int) -> bool:
        with self._lock:
            if self.used + size > self.limit:
                return False
            self.used += size
            return True

    def give(self, size: int) -> None:
        with self._lock:
            self.used -= size


class MemoryBody:
    """A request body as a list of received pieces: waitress's buffer interface (``append``,
    ``__len__``, ``getfile``, ``close``) on one side, a readable file on the other."""

    def __init__(self, size: int, budget: _Budget):
        self._pieces: list[bytes] = []
        self._first = 0  # index of the first unread piece
        self._at = 0  # bytes of it read already
        self._left = 0  # bytes received and not read yet
        self._size, self._budget = size, budget

    # -- waitress's side ---------------------------------------------------------------------

    def append(self, data: bytes) -> None:
        if data:
            self._pieces.append(data)
            self._left += len(data)

    def __len__(self) -> int:
        return self._left

    def __bool__(self) -> bool:
        return True

    def getfile(self) -> "MemoryBody":
        return self

    def close(self) -> None:
        self._pieces, self._first, self._at, self._left = [], 0, 0, 0
        if self._budget is not None:
            budget, self._budget = self._budget, None
            budget.give(self._size)

    def __del__(self):
        self.close()

    # -- the application's side (wsgi.input) ---------------------------------------------------

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        if size is None or size < 0 or size > self._left:
            size = self._left
        if size == 0:
            return b""
        pieces, first, at = self._pieces, self._first, self._at
        head = pieces[first]
        if at == 0 and len(head) == size:  # exactly one whole piece: no copy
            pieces[first] = b""
            self._first, self._left = first + 1, self._left - size
            return head
        parts, wanted = [], size
        while wanted:
            piece = pieces[first]
            view = memoryview(piece)[at : at + wanted]
            parts.append(view)
            wanted -= len(view)
            at += len(view)
            if at == len(piece):
                pieces[first] = b""  # read: its memory goes now, not with the request
                first, at = first + 1, 0
        self._first, self._at, self._left = first, at, self._left - size
        return parts[0].tobytes() if len(parts) == 1 else b"".join(parts)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int = -1, /) -> bytes:
        if size is None or size < 0 or size > self._left:
            size = self._left
        wanted, first, at = 0, self._first, self._at
        while wanted < size and first < len(self._pieces):
            piece = self._pieces[first]
            end = piece.find(b"\n", at, at + size - wanted)
            if end >= 0:
                wanted += end + 1 - at
                break
            wanted += len(piece) - at
            first, at = first + 1, 0
        return self.read(min(wanted, size))


def reuse_freed_memory() -> None:
    """Let the memory of one request's body serve the next. By default glibc gives the heap's
    freed top back to the system above 128 KiB and maps large blocks afresh: every 16 MiB
    body was then new pages, each faulted in and zeroed by the kernel (as much CPU as
    receiving the bytes). Kept, they are reused. The memory held stays in this process, which
    dumps no core and cannot be traced (serve's ``_no_core_dumps``); swap is the system's
    concern as for every page of it. Not glibc: nothing done."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, _FROM_HEAP)
        libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_FREED)


def channel_class(budget_bytes: int) -> type[HTTPChannel]:
    """Waitress's channel whose requests keep bodies of up to ``PER_BODY`` bytes in memory,
    all of them together within ``budget_bytes``."""
    budget = _Budget(budget_bytes)

    class Parser(HTTPRequestParser):
        def parse_header(self, header_plus):
            super().parse_header(header_plus)
            size = self.content_length
            if (
                isinstance(self.body_rcv, FixedStreamReceiver)
                and not self.chunked
                and 0 < size <= PER_BODY
                and budget.take(size)
            ):
                self.body_rcv = FixedStreamReceiver(size, MemoryBody(size, budget))

    class Channel(HTTPChannel):
        parser_class = Parser

    Channel.budget = budget
    return Channel
