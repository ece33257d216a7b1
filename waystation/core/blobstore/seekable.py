"""Random access into a blob: a seekable file object that decrypts only the chunks it reads."""

import errno
import io
import struct
from collections import OrderedDict
from typing import Protocol

from .. import aead_stream, crypto
from ..keyring import KEYRING, Purpose
from .format import HEADER_BYTES, MAGIC, BlobDamaged

_LENGTH = struct.Struct(">I")
_SEAL_OVERHEAD = crypto.NONCE_BYTES + crypto.TAG_BYTES


class RandomAccess(Protocol):
    """The stored (encrypted) bytes of one blob, read at any offset."""

    size: int

    def read_at(self, offset: int, length: int) -> bytes: ...

    def close(self) -> None: ...


class SeekableBlob(io.RawIOBase):
    """A blob's plaintext as a read-only, seekable file object, for parsers that seek (zipfile,
    Pillow, hachoir, pypdf). Only the chunks a read touches are fetched and decrypted; the
    last few are kept (``cache_chunks``, 1 MiB each), so memory stays small for any size.

    Chunks are fixed-size, so chunk *i* sits at a known offset. Each chunk read is
    authenticated for its place (this blob's id, its index, final or not), and the final
    chunk is authenticated when the blob is opened, so ``size`` is the size written and a cut
    off, extended, reordered or altered blob raises ``BlobDamaged``, as ``open()`` does. What
    this reader cannot check without reading everything is the whole-content hash against
    the blob's name: a stored file replaced wholesale by another blob of this instance goes
    unnoticed here. Where that matters (a copy handed out, a fixity check), use ``open()`` or
    ``verify()``."""

    def __init__(self, stored: RandomAccess, cache_chunks: int = 4):
        super().__init__()
        self._stored = stored
        self._key = KEYRING.subkey(Purpose.BLOBS)
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._cache_chunks = max(1, cache_chunks)
        self._position = 0
        try:
            self._read_layout()
        except BaseException:
            stored.close()
            raise

    def _read_layout(self) -> None:
        header = self._stored.read_at(0, HEADER_BYTES)
        if len(header) < HEADER_BYTES or not header.startswith(MAGIC):
            raise BlobDamaged("not a Waystation blob")
        self._context = header
        first = self._stored.read_at(HEADER_BYTES, _LENGTH.size)
        if len(first) < _LENGTH.size:
            raise BlobDamaged("cut off after 0 chunks: the final chunk is missing")
        (length,) = _LENGTH.unpack(first)
        if not _SEAL_OVERHEAD <= length <= aead_stream.CHUNK_BYTES + 64:
            raise BlobDamaged("chunk 0 has an impossible length")
        # Every chunk but the last has the first one's length; the last is what remains.
        body = self._stored.size - HEADER_BYTES
        self._record = _LENGTH.size + length
        self._count = max(1, -(-body // self._record))
        self._last_record = body - (self._count - 1) * self._record
        self._chunk_plain = length - _SEAL_OVERHEAD
        if self._last_record < _LENGTH.size + _SEAL_OVERHEAD:
            raise BlobDamaged(f"cut off inside chunk {self._count - 1}")
        if self._count > 1 and self._chunk_plain == 0:
            raise BlobDamaged("chunk 0 is damaged or out of place")
        last_plain = self._last_record - _LENGTH.size - _SEAL_OVERHEAD
        self.size = (self._count - 1) * self._chunk_plain + last_plain
        self._chunk(self._count - 1)  # the final chunk: the end and size are the real ones

    def _chunk(self, index: int) -> bytes:
        if index in self._cache:
            self._cache.move_to_end(index)
            return self._cache[index]
        final = index == self._count - 1
        size = self._last_record if final else self._record
        raw = self._stored.read_at(HEADER_BYTES + index * self._record, size)
        if len(raw) < size:
            raise BlobDamaged(f"cut off inside chunk {index}")
        if _LENGTH.unpack_from(raw)[0] != size - _LENGTH.size:
            raise BlobDamaged(f"chunk {index} is damaged or out of place")
        try:
            plain = aead_stream.open_chunk(
                self._key, memoryview(raw)[_LENGTH.size :], self._context, index, final
            )
        except aead_stream.StreamDamaged as problem:
            raise BlobDamaged(str(problem)) from None
        self._cache[index] = plain
        while len(self._cache) > self._cache_chunks:
            self._cache.popitem(last=False)
        return plain

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on a closed blob")

    def tell(self) -> int:
        self._check_open()
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}.get(whence)
        if base is None:
            raise ValueError(f"invalid whence ({whence})")
        if base + offset < 0:  # as a file on disk says it (zipfile counts on OSError)
            raise OSError(errno.EINVAL, "negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer) -> int:
        """Fills ``buffer`` as far as the blob goes (never short before the end, which
        zipfile and others count on)."""
        self._check_open()
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._position < self.size:
            if self._count == 1:
                index, within = 0, self._position
            else:
                index, within = divmod(self._position, self._chunk_plain)
            piece = self._chunk(index)[within : within + len(view) - done]
            view[done : done + len(piece)] = piece
            done += len(piece)
            self._position += len(piece)
        return done

    def close(self) -> None:
        if not self.closed:
            self._stored.close()
            self._cache.clear()
        super().close()
