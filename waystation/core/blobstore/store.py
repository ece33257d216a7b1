"""What every backend shares: the streaming, hashing, encrypting writer, and verifying reads.
A backend (``local``, ``s3``) says where the spool file goes, how a finished one is installed
under its name, and how stored bytes are read."""

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
import time
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .. import aead_stream, crypto
from ..keyring import KEYRING, Purpose
from . import direct
from .format import ID_BYTES, MAGIC, BlobDamaged, StoredBlob, blob_name, decrypt
from .seekable import RandomAccess, SeekableBlob

SPOOL_PREFIX = ".incoming-"
# The writer seals chunks into a buffer that a thread of its own writes to the spool file in
# segments of this many bytes, with O_DIRECT where the file system takes it (``direct``).
_SEGMENT_BYTES = 4 << 20
_LEFTOVER_AFTER = 2.0  # seconds: a spool file younger than this may be about to be locked
# A stored blob's name: HMAC-SHA256 as hex (``format.blob_name``). Anything else in a store
# (spool files, resumable uploads, a bucket's other objects) is not a blob.
BLOB_NAME = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StoredObject:
    """A blob as the store lists it: its name, stored (encrypted) size, and when it was
    written, in seconds since the epoch."""

    name: str
    size: int
    modified: float


class _Spool(direct.DoubleBuffer):
    """The spool file of one writer, and the thread that writes to it (``direct``): ciphertext
    is put in ``view`` at ``fill``, ``segment_done()`` after each chunk, ``finish()`` writes
    the rest and syncs. Holds no reference to its writer, so a writer dropped unfinished is
    collected and its spool discarded (after the write in flight has returned: the descriptor
    is not closed under it)."""

    def __init__(self, spool_dir: Path, segment_bytes: int, frame_bytes: int):
        fd, name = tempfile.mkstemp(dir=spool_dir, prefix=SPOOL_PREFIX)
        self.path = Path(name)
        fcntl.flock(fd, fcntl.LOCK_EX)  # held until the file is closed: "still being written"
        size = direct.buffer_size(segment_bytes, frame_bytes)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="blob-write")
        super().__init__(
            fd,
            direct=direct.set_direct(fd),  # refused by the file system: through the page cache
            views=[direct.aligned_buffer(size) for _ in range(2)],
            segment=segment_bytes,
            submit=self._thread.submit,
        )

    def finish(self) -> None:
        """Write what is left, then fsync."""
        self.write_rest()
        os.fsync(self.fd)

    def discard(self, *, unlink: bool) -> None:
        """Stop the thread (after its write), close the file; remove it unless installed."""
        self._thread.shutdown(wait=True)
        self._writing = None
        self.view = None
        self._views = []  # the buffers go when nothing uses them any more
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if unlink:
            self.path.unlink(missing_ok=True)


class BlobWriter:
    """A blob written piece by piece: ``write()`` what has arrived, then ``finish()`` for the
    ``StoredBlob``, or ``abort()``. Each piece is sealed, in whole chunks, into a buffer that a
    second thread writes to the spool file (see ``_SEGMENT_BYTES``), and hashed on a third
    while the chunk before it is sealed (hashlib, AES-GCM and the writes release the GIL), so
    a large file is read once and the work is shared by two cores. At most one chunk of
    plaintext is held, plus one waiting for its final flag, and two buffers of ciphertext.

    The spool file holds ciphertext only and is removed by ``finish()`` (after it is installed
    as the blob), by ``abort()``, by leaving a ``with`` block without ``finish()``, and when
    an unfinished writer is garbage-collected.

    ``created`` is set by ``finish()``: False when the store held the same content already
    (blobs are named by content, so that blob may belong to someone else: do not delete it
    on this upload's behalf)."""

    segment_bytes = _SEGMENT_BYTES

    def __init__(self, store: "BlobStore"):
        self.store = store
        self.chunk_bytes = store.chunk_bytes
        spool_dir = store._spool_dir()
        spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        frame_bytes = self.chunk_bytes + aead_stream.FRAME_OVERHEAD
        self._spool = _Spool(spool_dir, self.segment_bytes, frame_bytes)
        self._spool_path = self._spool.path
        self._discard = weakref.finalize(self, self._spool.discard, unlink=True)
        blob_id = os.urandom(ID_BYTES)
        self._context = MAGIC + blob_id
        self._spool.view[: len(self._context)] = self._context
        self._spool.fill = len(self._context)
        self._seal_into = crypto.sealer_into(KEYRING.subkey(Purpose.BLOBS))
        self._index = 0
        self._held: bytes | None = None  # the last whole chunk, until it is known not final
        self._sha256 = hashlib.sha256()
        self._hasher: ThreadPoolExecutor | None = None
        self._hashing = None
        self._buffer = bytearray()
        self.size = 0
        self.created: bool | None = None
        self._state = "open"

    def __enter__(self) -> "BlobWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        if self._state == "open":
            self.abort()

    def write(self, data: bytes) -> int:
        if self._state != "open":
            raise ValueError(f"write to a blob writer that is {self._state}")
        self.size += len(data)
        if not self._buffer and len(data) == self.chunk_bytes:  # whole chunks: no copying
            self._ingest(bytes(data))
            return len(data)
        self._buffer += data
        while len(self._buffer) >= self.chunk_bytes:
            chunk = bytes(self._buffer[: self.chunk_bytes])
            del self._buffer[: self.chunk_bytes]
            self._ingest(chunk)
        return len(data)

    def _ingest(self, chunk: bytes) -> None:
        if self._hasher is None:
            self._hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="blob-hash")
        self._wait_for_hash()  # in order, and at most one chunk being hashed
        self._hashing = self._hasher.submit(self._sha256.update, chunk)
        if self._held is not None:
            self._seal(self._held, final=False)
        self._held = chunk

    def _seal(self, chunk: bytes, final: bool) -> None:
        """One chunk as ``aead_stream`` frames it (length, nonce, ciphertext and tag), sealed
        straight into the spool's buffer."""
        spool = self._spool
        spool.fill += aead_stream.seal_frame_into(
            self._seal_into, spool.view[spool.fill :], self._context, self._index, final, chunk
        )
        self._index += 1
        spool.segment_done()

    def _wait_for_hash(self) -> None:
        if self._hashing is not None:
            self._hashing.result()
            self._hashing = None

    def _stop_hashing(self) -> None:
        if self._hasher is not None:
            self._hasher.shutdown(wait=True)
            self._hasher = None
        self._hashing = None

    def finish(self) -> StoredBlob:
        if self._state != "open":
            raise ValueError(f"finish a blob writer that is {self._state}")
        self._state = "finishing"
        try:
            if self._buffer:
                rest = bytes(self._buffer)
                self._buffer.clear()
                self._wait_for_hash()
                self._sha256.update(rest)
                if self._held is not None:
                    self._seal(self._held, final=False)
                self._held = rest
            self._wait_for_hash()
            self._seal(self._held or b"", final=True)  # an empty blob: one empty final chunk
            self._held = None
            self._spool.finish()
            sha256 = self._sha256.hexdigest()
            name = blob_name(sha256)
            # Same content stored already: keep the first copy.
            self.created = not self.store.exists(name)
            if self.created:
                self._spool.discard(unlink=False)  # closed, then installed
                self.store._install(self._spool_path, name)
        except BaseException:
            self._state = "aborted"
            raise
        finally:
            self._stop_hashing()
            self._discard.detach()
            self._spool.discard(unlink=True)  # renamed away (local) or uploaded (S3)
        self._state = "finished"
        return StoredBlob(name, self.size, sha256)

    def abort(self) -> None:
        """Throw away what was written. Does nothing after ``finish()`` or a first ``abort()``
        (a finished blob is deleted through the store, by whoever owns it)."""
        if self._state != "open":
            return
        self._state = "aborted"
        self._buffer.clear()
        self._held = None
        self._stop_hashing()
        self._discard()


class StoreUnreachable(Exception):
    """The configured store cannot be used (no bucket, no access, no answer): one line for the
    operator, said when a server or worker starts."""


class BlobStore:
    """What both backends share: streaming put with hashing, verifying reads."""

    chunk_bytes = aead_stream.CHUNK_BYTES

    def check(self) -> None:
        """Raise StoreUnreachable when the store cannot be used; a local directory is made
        when the first blob is written, so there is nothing to check."""

    def _spool_dir(self) -> Path:
        raise NotImplementedError

    def _install(self, spool_path: Path, name: str) -> None:
        raise NotImplementedError

    def _open_stored(self, name: str) -> BinaryIO:
        raise NotImplementedError

    def _open_random(self, name: str) -> RandomAccess:
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    def delete(self, name: str) -> None:
        raise NotImplementedError

    def where(self) -> str:
        """Where the store is, in words for the operator."""
        raise NotImplementedError

    def objects(self) -> Iterator[StoredObject]:
        """Every blob in the store (by name, size, time), in no particular order; what is not
        a blob (``BLOB_NAME``) is not listed."""
        raise NotImplementedError

    def open_stored(self, name: str) -> BinaryIO:
        """The stored bytes, encrypted as they are, for copying (backups); BlobMissing."""
        return self._open_stored(name)

    def install_stored(self, name: str, source: BinaryIO) -> None:
        """Put stored bytes (encrypted, as ``open_stored`` gave them) back under ``name``,
        streamed: a restore. The caller has authenticated them."""
        raise NotImplementedError

    def writer(self) -> BlobWriter:
        """A writer for data that arrives in pieces; see ``BlobWriter``."""
        return BlobWriter(self)

    def leftovers(self) -> list[Path]:
        """Spool files that no writer holds: what an ingest or upload killed half-way left
        (encrypted, but taking room and travelling into backups)."""
        found = []
        try:
            candidates = sorted(self._spool_dir().glob(SPOOL_PREFIX + "*"))
        except OSError:
            return []
        for path in candidates:
            try:
                if time.time() - path.stat().st_mtime < _LEFTOVER_AFTER:
                    continue
                with open(path, "rb") as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except (BlockingIOError, FileNotFoundError):
                continue  # being written now, or gone meanwhile
            found.append(path)
        return found

    def remove_leftovers(self) -> int:
        removed = 0
        for path in self.leftovers():
            path.unlink(missing_ok=True)
            removed += 1
        return removed

    def put(self, source: BinaryIO) -> StoredBlob:
        with self.writer() as writer:
            while chunk := source.read(self.chunk_bytes):
                writer.write(chunk)
            return writer.finish()

    def open(self, name: str) -> Iterator[bytes]:
        """The plaintext, chunk by chunk, each verified before it is handed out; at the end
        the content must hash to the blob's own name, so a stored file swapped for another
        one fails too."""
        digest = hashlib.sha256()
        with contextlib.closing(self._open_stored(name)) as stored:
            for chunk in decrypt(stored):
                digest.update(chunk)
                yield chunk
        if not crypto.digests_equal(blob_name(digest.hexdigest()), name):
            raise BlobDamaged("the stored file is not the one this name stands for")

    def open_seekable(self, name: str) -> SeekableBlob:
        """The plaintext as a seekable, read-only file object that decrypts only the chunks
        it is asked for; see ``SeekableBlob`` for what it checks, and what it cannot. Close
        it (it is a context manager)."""
        return SeekableBlob(self._open_random(name))

    def verify(self, name: str, sha256_hex: str) -> bool:
        digest = hashlib.sha256()
        for chunk in self.open(name):
            digest.update(chunk)
        return crypto.digests_equal(digest.hexdigest(), sha256_hex)
