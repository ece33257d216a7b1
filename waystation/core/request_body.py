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

A tus PATCH body (``Content-Type: application/offset+octet-stream``, any declared length) is
instead **streamed**: its request is handed to a thread as soon as its headers are in, and the
view reads the body while the main thread is still receiving it (``StreamBody``), so receiving
and sealing overlap instead of taking turns. The main thread stops reading such a socket while
``UNREAD_MOST`` bytes wait unread (so memory stays bounded whatever the length), and at most
``streams`` requests stream at once (half the threads: a slow sender holds a thread for as long
as it sends, and the pages keep the rest). A body that stops arriving (the connection closed,
or nothing for waitress's ``channel_timeout``) ends early: the view sees the end of the body
and keeps what arrived, as tus asks; the connection is then closed. (A connection gone before
a thread took its request up runs nothing: waitress runs no request of a closed connection.)
A view that answers without reading the body (a refusal) leaves the rest to be received and
dropped.
"""

import contextlib
import ctypes
import threading

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.receiver import FixedStreamReceiver

PER_BODY = 64 * 1024 * 1024  # a PATCH of the benchmark's client (16 MiB) four times over
STREAMED_TYPE = "application/offset+octet-stream"  # tus PATCH bodies, read as they arrive
# A streamed body's bytes waiting for the view, at most. Twice the benchmark client's PATCH
# (16 MiB): the main thread receives a whole PATCH while its view is still in the request's own
# work (Django, the token, the upload's row), instead of stopping at half of it and leaving the
# rest to compete with the sealing for the two cores (docs/performance.md, tus, sixth session).
# Memory: at most ``streams`` (half the threads) × this at once, 128 MiB with 8 threads.
UNREAD_MOST = 32 * 1024 * 1024

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
        if first > 256:  # a long body: forget the pieces read
            del pieces[:first]
            first = 0
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


class StreamBody(MemoryBody):
    """A body the view reads while the main thread still receives it: ``read`` waits for the
    bytes it asks for, or for the end (all arrived, the connection gone, or ``timeout``
    seconds without a byte: then what arrived is all there is)."""

    def __init__(self, size: int, streams: _Budget, timeout: float):
        super().__init__(size, None)
        self._arrived = threading.Condition()
        self._to_come = size  # bytes not received yet
        self._ended = False  # broken off (no more will come) or closed
        self._streams, self._timeout = streams, timeout
        self.channel = None  # set when the request is handed to a thread
        self.held = False  # the main thread stopped reading the socket: too much unread
        self._wanted = 0  # what a read waiting now asks for

    def append(self, data: bytes) -> None:
        with self._arrived:
            if self._ended:
                return  # closed by the view before the end: the rest is received and dropped
            super().append(data)
            self._to_come -= len(data)
            if self._wanted and (self._left >= self._wanted or not self._to_come):
                self._arrived.notify()  # once per read, not per piece: fewer thread switches

    def hold(self) -> bool:
        """For the main thread: True (and remembered) while too much waits unread."""
        with self._arrived:
            self.held = UNREAD_MOST <= self._left >= self._wanted and not self._ended
            return self.held

    def break_off(self) -> None:
        """No more will come (the connection is gone)."""
        with self._arrived:
            self._ended = True
            self._arrived.notify_all()

    def close(self) -> None:
        with self._arrived:
            super().close()
            self._ended = True
            self._arrived.notify_all()
            streams, self._streams = self._streams, None
        if streams is not None:
            streams.give(1)

    def read(self, size: int = -1, /) -> bytes:
        timed_out = wake = False
        with self._arrived:
            most = self._left + self._to_come
            size = most if size is None or size < 0 else min(size, most)
            while self._left < size and not self._ended:
                self._wanted = size  # more than UNREAD_MOST perhaps: the socket is not held
                if self.held:
                    self.held = False
                    self._wake(close=False)
                before = self._to_come
                if not self._arrived.wait(self._timeout) and self._to_come == before:
                    self._ended = timed_out = True  # not a byte for the whole timeout
            self._wanted = 0
            data = super().read(min(size, self._left))
            if self.held and self._left < UNREAD_MOST // 2:
                self.held, wake = False, True
        if wake or timed_out:
            self._wake(close=timed_out)
        return data

    def readline(self, size: int = -1, /) -> bytes:
        with self._arrived:  # lines are for small bodies: wait for all of it
            while self._to_come and not self._ended:
                self._wanted, before = self._left + self._to_come, self._to_come
                if not self._arrived.wait(self._timeout) and self._to_come == before:
                    self._ended = True
            self._wanted = 0
        return super().readline(size)

    def _wake(self, *, close: bool) -> None:
        """Have the main thread look at the socket again (and close it, for ``close``: then
        not under the body's lock, as it takes the channel's)."""
        channel = self.channel
        if channel is None:
            return
        if close:  # nothing came for the channel's timeout: the connection goes
            with channel.requests_lock:
                channel.close_when_flushed = True
        channel.server.pull_trigger()


def channel_class(budget_bytes: int, *, streams: int = 1) -> type[HTTPChannel]:
    """Waitress's channel whose requests keep bodies of up to ``PER_BODY`` bytes in memory,
    all of them together within ``budget_bytes``, and stream tus PATCH bodies to their view,
    ``streams`` requests at most at once."""
    budget = _Budget(budget_bytes)
    streaming = _Budget(streams)

    class Parser(HTTPRequestParser):
        stream = None  # the StreamBody of a streamed request
        dispatched = False  # handed to a thread already (at its headers)

        def parse_header(self, header_plus):
            super().parse_header(header_plus)
            size = self.content_length
            if not (isinstance(self.body_rcv, FixedStreamReceiver) and not self.chunked):
                return
            kind = self.headers.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
            if size > 0 and kind == STREAMED_TYPE and streaming.take(1):
                self.stream = StreamBody(size, streaming, self.adj.channel_timeout)
                self.body_rcv = FixedStreamReceiver(size, self.stream)
            elif 0 < size <= PER_BODY and budget.take(size):
                self.body_rcv = FixedStreamReceiver(size, MemoryBody(size, budget))

    class Channel(HTTPChannel):
        parser_class = Parser

        def _streaming(self) -> StreamBody | None:
            request = self.request
            return request.stream if request is not None and request.dispatched else None

        def readable(self):
            stream = self._streaming()
            if stream is None:
                return super().readable()
            # Its view runs already: feed it (the view's answer may already wait to be sent)
            # unless the connection is closing or enough waits unread.
            return not (self.will_close or self.close_when_flushed or stream.hold())

        def _break_off(self) -> None:
            stream = self._streaming()
            if stream is not None:
                stream.break_off()

        def handle_close(self):
            self._break_off()
            super().handle_close()

        def cancel(self):
            self._break_off()
            super().cancel()

        def received(self, data):
            """Waitress's own (3.0), but a streamed request goes to a thread once its headers
            are in, and is not handed on again when its body is complete."""
            if not data:
                return False
            with self.requests_lock:
                if self.will_close or self.close_when_flushed:
                    return False
                while data:
                    if self.request is None:
                        self.request = self.parser_class(self.adj)
                    request = self.request
                    n = request.received(data)
                    if (
                        request.expect_continue
                        and request.headers_finished
                        and not self.requests
                        and not self.sent_continue
                    ):
                        self.send_continue()
                    if (
                        request.stream is not None
                        and not request.dispatched
                        and request.headers_finished
                        and not request.completed
                    ):
                        request.dispatched = True
                        request.stream.channel = self
                        self._hand_on(request)
                    if request.completed:
                        self.sent_continue = False
                        if not request.empty and not request.dispatched:
                            self._hand_on(request)
                        self.request = None
                    if n >= len(data):
                        break
                    data = data[n:]
            return True

        def _hand_on(self, request) -> None:
            self.requests.append(request)
            if len(self.requests) == 1:  # else service() starts it after the one before
                self.server.add_task(self)

    Channel.budget = budget
    Channel.streams = streaming
    return Channel
