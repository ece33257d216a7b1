"""Ciphertext written to a file from two page-aligned buffers, whole 4 KiB blocks with O_DIRECT
on a thread while the other buffer fills: the blob writer's spool (``store._Spool``) and a
resumable upload's part file (``resumable._Appender``) both write this way.

Through the page cache instead, the kernel's copy, its writeback and the reclaim of gigabytes
of pages cost the writing request 0.6 - 3 CPU ms per MiB on the 2-core VM (SHA-256: 0.65),
erratically, and the final fsync waited for what had piled up. Where O_DIRECT is refused (tmpfs
on older kernels, some network file systems) the same thread writes through the page cache and
asks the kernel to start writing to disk what it was given and drop it once clean
(posix_fadvise DONTNEED). The caller syncs.
"""

import errno
import fcntl
import mmap
import os
from collections.abc import Callable

ALIGN = 4096  # O_DIRECT: file offsets, lengths and buffer addresses in multiples of this
_O_DIRECT = getattr(os, "O_DIRECT", 0)
_DONTNEED = getattr(os, "POSIX_FADV_DONTNEED", None)


def buffer_size(segment: int, record: int) -> int:
    """Bytes for a buffer that holds a segment, one more record and a block's carry-over,
    in whole pages."""
    return -(-(segment + record + ALIGN) // mmap.PAGESIZE) * mmap.PAGESIZE


def aligned_buffer(size: int) -> memoryview:
    """mmap: page-aligned, as O_DIRECT wants; pages are only taken as they are touched."""
    return memoryview(mmap.mmap(-1, size))


def set_direct(fd: int) -> bool:
    """Turn O_DIRECT on for ``fd``; False where the file system refuses it."""
    if not _O_DIRECT:
        return False
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | _O_DIRECT)
    except OSError:
        return False
    return True


def write_at(fd: int, data: memoryview, offset: int) -> None:
    while data:
        written = os.pwrite(fd, data, offset)
        data, offset = data[written:], offset + written


class DoubleBuffer:
    """Ciphertext is put in ``view`` at ``fill``; ``segment_done()`` hands the buffer's whole
    blocks to ``submit`` (a thread) once it holds ``segment`` bytes, and carries the last
    part-block over to the other buffer; ``write_rest()`` waits for it and writes what is
    left through the page cache. ``offset``: where ``view`` starts in the file;
    ``writeback_every``: without O_DIRECT, how many bytes at least to hand to the kernel's
    writeback at once (0: every write)."""

    def __init__(
        self,
        fd: int,
        *,
        direct: bool,
        views: list[memoryview],
        segment: int,
        submit: Callable,
        offset: int = 0,
        writeback_every: int = 0,
    ):
        self.fd, self.direct, self._views, self.segment = fd, direct, views, segment
        self._submit, self._writeback_every = submit, writeback_every
        self.view = views[0]
        self.fill = 0  # bytes of ciphertext in ``view``
        self._offset = offset
        self._written_back = offset
        self._writing = None

    def segment_done(self) -> None:
        """Hand the buffer's whole blocks to the writing thread, if it holds a segment."""
        if self.fill < self.segment:
            return
        end = self.fill - self.fill % ALIGN
        self.flush()  # the other buffer's write has returned: it may be filled again
        self._writing = self._submit(self._write, self.view[:end], self._offset)
        rest = self.fill - end
        other = self._views[1] if self.view is self._views[0] else self._views[0]
        other[:rest] = self.view[end : self.fill]  # less than one block
        self.view, self.fill, self._offset = other, rest, self._offset + end

    def flush(self) -> None:
        """Wait for the write in flight (and raise its error)."""
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.result()

    def write_rest(self) -> None:
        """Wait for the write in flight, then write what is left (a tail of any length:
        through the page cache)."""
        self.flush()
        if self.fill:
            self.buffered()
            write_at(self.fd, self.view[: self.fill], self._offset)

    def buffered(self) -> None:
        """From now on through the page cache."""
        if self.direct:
            fcntl.fcntl(self.fd, fcntl.F_SETFL, fcntl.fcntl(self.fd, fcntl.F_GETFL) & ~_O_DIRECT)
            self.direct = False

    def _write(self, data: memoryview, offset: int) -> None:
        try:
            write_at(self.fd, data, offset)
        except OSError as error:
            if not self.direct or error.errno != errno.EINVAL:
                raise
            self.buffered()  # O_DIRECT taken at open, refused at write: alignment
            write_at(self.fd, data, offset)
        end = offset + len(data)
        if (
            not self.direct
            and _DONTNEED is not None
            and end - self._written_back >= self._writeback_every
        ):
            try:  # start writing it to disk now, not all at the fsync
                os.posix_fadvise(self.fd, self._written_back, end - self._written_back, _DONTNEED)
                self._written_back = end
            except OSError:
                pass  # only advice: a file system that refuses it is written at the fsync
