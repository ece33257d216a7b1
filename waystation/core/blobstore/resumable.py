"""A blob written over many requests, perhaps by several processes in turn (a resumable
upload: tus), encrypted as it arrives and never in the clear on disk.

The length is known from the start, so every chunk's index and whether it is the final one
are known as soon as its bytes have arrived: whole chunks are sealed at once, in the blob
format itself (``MAGIC ‖ blob id``, then ``aead_stream`` chunks), into a part file. What is
left over at the end of a request (less than a chunk, or the final chunk before its last
byte) is sealed on its own into a tail file, bound to the blob id and to the number of chunks
before it, and replaced atomically at the end of each request. When the last byte arrives
the final chunk is sealed and the part file is installed in the store under its name: no
second pass over the data.

What the disk says is the truth: the offset is the whole chunks in the part file (a record
cut off by a crash is cut away, and after a restart every chunk is authenticated again: one
that fails, torn by a crash of the machine, and all after it count as not received) plus the
tail, if it belongs after those chunks and authenticates. So an upload killed at any point
resumes from what is really on disk, never from more. Nothing is synced until the last byte:
whole blocks go to the disk with O_DIRECT as the upload goes on (``_Appender``), and the file
is synced once before it is installed, as ``BlobWriter`` syncs its spool file once.

The SHA-256 of the plaintext is computed in the same pass, on a kept thread, in order
(``_HashLane``): the chunks sealed wait for it in memory, up to ``_HASH_AHEAD_BYTES`` per
upload, and the lane goes on hashing after the request has answered, into the gap before the
next PATCH (the client reading its file, the next request's token and rows), instead of each
PATCH waiting for the hash of its last chunks. Nothing on disk depends on the hash until the
last byte: what a request must leave behind is the sealed chunks and the tail; ``finish``
waits for the lane before the blob is named. hashlib's state cannot be saved, so the lane is
kept in this process's memory between requests; a request that finds none for the chunks on
disk (the server was restarted, or another process took the upload before) re-hashes the
prefix by decrypting the part file. That costs one read of what was uploaded, once per
restart, and keeps the hash exactly hashlib's; a chain of per-chunk hashes would be cheap to
resume but is not the file's SHA-256, which is what the item, its custody chain and every
export name.

One request at a time per upload: ``open`` takes an exclusive, non-blocking lock on the part
file (``UploadBusy`` otherwise). The files live in the store's spool directory, in
``resumable/``: the blob root for a local store (so installing is a rename), the data
directory's spool for S3.
"""

import collections
import fcntl
import hashlib
import os
import re
import struct
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import aead_stream, crypto
from ..keyring import KEYRING, Purpose
from . import direct
from .format import HEADER_BYTES, ID_BYTES, MAGIC, BlobDamaged, StoredBlob, blob_name
from .store import BlobStore

FOLDER = "resumable"
_LENGTH = struct.Struct(">I")
_COUNT = struct.Struct(">Q")
_TAIL_LABEL = b"tail"
_NAME = re.compile(r"^[0-9a-f]{32}$")
# The part file is written as the blob writer writes its spool (``direct``): sealed records go
# into a page-aligned buffer, and every _SEGMENT_BYTES its whole 4 KiB blocks are written with
# O_DIRECT by a thread while the next ones are sealed. Written through the page cache, on this
# machine copying into it cost from 0.6 up to 3 CPU ms per MiB uploaded (fresh pages: more
# than sealing and hashing together). What is left at the end of a request (less than a
# block) goes through the page cache; the next request reads that block back into its
# buffer and writes it again, whole, with what follows. The buffers are kept for the next
# request (mmap'd afresh each time, their pages were faulted in and zeroed every PATCH).
_SEGMENT_BYTES = 4 << 20
# Buffers per request, one being filled and the others' writes in flight at once: on this
# VM's disk a single 4 MiB O_DIRECT write at a time is about 1.2 GB/s, two at once about
# 1.8 (0.8 ms per MiB, as much as SHA-256: with one in flight the sealing waited for it).
_IN_FLIGHT_BUFFERS = 3
_KEEP_BUFFERS = 12
_BUFFERS: dict[int, list[memoryview]] = {}  # size -> free buffers
_BUFFERS_LOCK = threading.Lock()
_WRITES = ThreadPoolExecutor(max_workers=4, thread_name_prefix="upload-write")
# The hashing threads too are kept for the next request (a thread started and joined per
# PATCH cost 1 - 2 ms): each upload's chunks are hashed in order by one task at a time
# (``_HashLane``), up to this many bytes of plaintext behind the sealing (memory per upload
# that is written now; at most ``streams`` uploads stream at once, see core.request_body).
_HASHING = ThreadPoolExecutor(max_workers=8, thread_name_prefix="upload-hash")
_HASH_AHEAD_BYTES = 16 << 20
_HASH_TURN = 16  # chunks a lane hashes before it lets the other lanes' tasks run
# Without O_DIRECT (a file system that refuses it), every this many bytes of ciphertext the
# part file's new pages are handed to the kernel to write to disk now and drop once clean
# (posix_fadvise DONTNEED starts the writeback of dirty pages on Linux); otherwise the fsync
# of the last PATCH waited for the whole upload to reach the disk.
_WRITEBACK_BYTES = 8 << 20

# upload key -> its hash lane, between requests (the chunks handed to it and their hash)
_HASHES: dict[str, "_HashLane"] = {}
_HASHES_LOCK = threading.Lock()


class _HashLane:
    """The SHA-256 of one upload's plaintext, chunk after chunk in order, on ``_HASHING``:
    ``add`` hands a chunk over (waiting only while ``_HASH_AHEAD_BYTES`` are not hashed yet),
    ``hexdigest()`` waits for all and gives the hash; ``chunks`` counts the chunks handed over,
    which is how a later request knows the lane matches the chunks on disk. One task hashes
    a lane at a time (hashlib objects are not for two threads at once)."""

    def __init__(self, sha256: "hashlib._Hash", chunks: int):
        self.chunks = chunks
        self._sha256 = sha256
        self._waiting: collections.deque[bytes] = collections.deque()
        self._bytes = 0  # plaintext waiting (or being hashed)
        self._running = False
        self._error: BaseException | None = None
        self._changed = threading.Condition()

    def add(self, chunk: bytes) -> None:
        with self._changed:
            while self._bytes >= _HASH_AHEAD_BYTES and self._error is None:
                self._changed.wait()
            self._raise()
            self._waiting.append(chunk)
            self._bytes += len(chunk)
            self.chunks += 1
            if not self._running:
                self._running = True
                _HASHING.submit(self._drain)

    def _drain(self) -> None:
        for _turn in range(_HASH_TURN):
            with self._changed:
                if not self._waiting:
                    self._running = False
                    self._changed.notify_all()
                    return
                chunk = self._waiting[0]
            try:
                self._sha256.update(chunk)  # without the GIL: beside the sealing
            except BaseException as error:  # handed to whoever waits next
                with self._changed:
                    self._error, self._running = error, False
                    self._waiting.clear()
                    self._bytes = 0
                    self._changed.notify_all()
                return
            with self._changed:
                if self._waiting and self._waiting[0] is chunk:  # else: cancelled meanwhile
                    self._waiting.popleft()
                    self._bytes -= len(chunk)
                if self._bytes < _HASH_AHEAD_BYTES:
                    self._changed.notify_all()
        _HASHING.submit(self._drain)  # still running: the other uploads' lanes get a turn

    @property
    def error(self) -> BaseException | None:
        """What stopped the hashing, if anything did: such a lane is not taken up again."""
        return self._error

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def hexdigest(self) -> str:
        """Wait until every chunk handed over is hashed; the hash of them all."""
        with self._changed:
            while self._running:
                self._changed.wait()
            self._raise()
            return self._sha256.hexdigest()

    def cancel(self) -> None:
        """Drop what waits: the lane is not used again (the upload is gone, or its chunks on
        disk are not the ones handed over)."""
        with self._changed:
            self._waiting.clear()
            self._bytes = 0
            self._changed.notify_all()


class UploadBusy(Exception):
    """Another request is writing this upload now."""


class UploadGone(Exception):
    """No such partial upload on disk (finished, discarded, expired, or never begun)."""


class TooMuchData(Exception):
    """More bytes than the length declared at the start."""


def _folder(store: BlobStore) -> Path:
    return store._spool_dir() / FOLDER


def _paths(store: BlobStore, key: str) -> tuple[Path, Path]:
    if not _NAME.match(key):
        raise ValueError("an upload key is 32 lowercase hex digits")
    folder = _folder(store)
    return folder / f"{key}.part", folder / f"{key}.tail"


def _buffer(size: int) -> memoryview:
    with _BUFFERS_LOCK:
        free = _BUFFERS.get(size)
        if free:
            return free.pop()
    return direct.aligned_buffer(size)


def _give_back(size: int, views: list[memoryview]) -> None:
    with _BUFFERS_LOCK:
        free = _BUFFERS.setdefault(size, [])
        free.extend(views[: max(0, _KEEP_BUFFERS - len(free))])


class _Appender(direct.DoubleBuffer):
    """Records appended to the part file from ``end``: sealed into ``view`` at ``fill``,
    ``advance()`` after each; written as ``direct`` writes (kept threads, kept buffers), but
    with up to ``_IN_FLIGHT_BUFFERS - 1`` segments being written at once (with O_DIRECT: each
    to its own place in the file); ``close()`` writes the rest, through the page cache.
    Ciphertext only, as before."""

    def __init__(self, path: Path, end: int, record: int):
        fd = os.open(path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
        try:
            # The block begun is read back and written again, whole, with what follows.
            start = end - end % direct.ALIGN
            head = os.pread(fd, end - start, start)
            is_direct = direct.set_direct(fd)
            if not is_direct:
                start, head = end, b""  # not on this file system: through the page cache
            self._size = direct.buffer_size(_SEGMENT_BYTES, record)
            views = [_buffer(self._size) for _ in range(_IN_FLIGHT_BUFFERS)]
        except BaseException:
            os.close(fd)
            raise
        super().__init__(
            fd,
            direct=is_direct,
            views=views,
            segment=_SEGMENT_BYTES,
            submit=_WRITES.submit,
            offset=start,
            writeback_every=_WRITEBACK_BYTES,
        )
        self.fill = len(head)
        self.view[: self.fill] = head
        self._in_flight: collections.deque = collections.deque()  # writes, oldest first
        self._at = 0  # index of ``view`` in the buffers

    def advance(self, sealed: int) -> None:
        self.fill += sealed
        if self.fill >= self.segment:
            self._hand_over()

    def _hand_over(self) -> None:
        """The buffer's whole blocks to a writing thread; go on in the next buffer (the
        oldest: its write waited for), with the last part-block carried over."""
        end = self.fill - self.fill % direct.ALIGN
        if not self.direct:
            self.flush()  # through the page cache: in order (the writeback is counted)
        self._in_flight.append(self._submit(self._write, self.view[:end], self._offset))
        views = self._views
        self._at = (self._at + 1) % len(views)
        other = views[self._at]
        if len(self._in_flight) >= len(views):
            self._in_flight.popleft().result()  # ``other``'s last write
        rest = self.fill - end
        other[:rest] = self.view[end : self.fill]  # less than one block
        self.view, self.fill, self._offset = other, rest, self._offset + end

    def flush(self) -> None:
        """Wait for every write in flight, then raise the first error (none is left running:
        the descriptor is closed after this)."""
        failed = None
        while self._in_flight:
            try:
                self._in_flight.popleft().result()
            except Exception as error:  # the first is raised below
                failed = failed or error
        if failed is not None:
            raise failed

    def close(self, *, write: bool = True, sync: bool = False) -> None:
        """Write what is left (``write``), fsync (``sync``), and close; the buffers go back."""
        try:
            if write:
                self.write_rest()
            else:
                self.flush()
            if sync:
                os.fsync(self.fd)
        finally:
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1
                views, self._views, self.view = self._views, [], None
                _give_back(self._size, views)


def _chunk_count(length: int, chunk: int) -> int:
    return max(1, -(-length // chunk))


def begin(store: BlobStore, key: str, length: int) -> None:
    """Create the empty part file of a new upload of ``length`` bytes."""
    if length < 0:
        raise ValueError("length must not be negative")
    part, _tail = _paths(store, key)
    part.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(part, "xb") as out:
        out.write(MAGIC + os.urandom(ID_BYTES))
        out.flush()
        os.fsync(out.fileno())


def discard(store: BlobStore, key: str) -> None:
    """Remove what an upload left on disk (its hash state too). Nothing there: nothing done."""
    part, tail = _paths(store, key)
    tail.unlink(missing_ok=True)
    part.unlink(missing_ok=True)
    with _HASHES_LOCK:
        lane = _HASHES.pop(key, None)
    if lane is not None:
        lane.cancel()


class ResumableBlob:
    """One request's turn at writing an upload: ``with ResumableBlob(store, key, length) as
    blob: blob.write(piece) ...; then blob.finish()`` once ``blob.offset == length``. Leaving
    the block saves what arrived (the tail) and releases the lock, whatever happened."""

    def __init__(self, store: BlobStore, key: str, length: int):
        self.store, self.key, self.length = store, key, length
        self.chunk_bytes = store.chunk_bytes
        self._part_path, self._tail_path = _paths(store, key)
        self._record = _LENGTH.size + crypto.NONCE_BYTES + self.chunk_bytes + crypto.TAG_BYTES
        self._whole = _chunk_count(length, self.chunk_bytes) - 1  # chunks before the final one
        self._blob_key = KEYRING.subkey(Purpose.BLOBS)
        self._seal_into = None  # crypto.sealer_into, made at the first chunk
        self._out: _Appender | None = None  # made at the first chunk
        self._lane: _HashLane | None = None
        self._part = None
        self._state = "new"

    # -- opening: lock, read the state from disk ---------------------------------------------

    def __enter__(self) -> "ResumableBlob":
        try:
            self._part = open(self._part_path, "r+b")  # closed by __exit__
        except FileNotFoundError:
            raise UploadGone(self.key) from None
        try:
            fcntl.flock(self._part, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._part.close()
            raise UploadBusy(self.key) from None
        try:
            self._load()
        except BaseException:
            self._part.close()
            raise
        self._state = "open"
        return self

    def _load(self) -> None:
        header = self._part.read(HEADER_BYTES)
        if len(header) < HEADER_BYTES or not header.startswith(MAGIC):
            raise BlobDamaged("not the part file of an upload")
        self._context = header
        size = os.fstat(self._part.fileno()).st_size
        self._chunks = min((size - HEADER_BYTES) // self._record, self._whole)
        with _HASHES_LOCK:
            known = _HASHES.pop(self.key, None)
        if known is not None and known.chunks == self._chunks and known.error is None:
            self._lane = known  # perhaps still hashing the last request's chunks
        else:
            if known is not None:
                known.cancel()
            sha256 = self._rehash()  # may cut chunks that fail authentication away
            self._lane = _HashLane(sha256, self._chunks)
        kept = HEADER_BYTES + self._chunks * self._record
        if size != kept:  # a record cut off by a crash, or a final chunk never installed
            self._part.truncate(kept)
        self._end = kept
        self._buffer = bytearray(self._read_tail())
        self.offset = self._chunks * self.chunk_bytes + len(self._buffer)

    def _tail_aad(self, chunks: int) -> bytes:
        return self._context + _TAIL_LABEL + _COUNT.pack(chunks)

    def _read_tail(self) -> bytes:
        try:
            raw = self._tail_path.read_bytes()
        except FileNotFoundError:
            return b""
        if len(raw) < _COUNT.size or _COUNT.unpack_from(raw)[0] != self._chunks:
            return b""  # written before the chunks now on disk: its bytes are in them
        try:
            return crypto.unseal(self._blob_key, raw[_COUNT.size :], self._tail_aad(self._chunks))
        except crypto.DecryptionError:
            return b""  # torn by a crash of the machine (or altered): not received, sent again

    def _rehash(self) -> "hashlib._Hash":
        """The SHA-256 of the whole chunks on disk, from the ciphertext: the server was
        restarted. (The hash covers sealed chunks only; the tail is hashed when it is sealed.)
        A chunk that fails authentication (the machine crashed before it reached the disk
        whole) and everything after it count as not received: the offset goes back to it."""
        digest = hashlib.sha256()
        with open(self._part_path, "rb") as part:
            part.seek(HEADER_BYTES)
            for index in range(self._chunks):
                raw = part.read(self._record)
                try:
                    if len(raw) < self._record:
                        raise aead_stream.StreamDamaged(f"cut off inside chunk {index}")
                    digest.update(
                        aead_stream.open_chunk(
                            self._blob_key, raw[_LENGTH.size :], self._context, index, False
                        )
                    )
                except aead_stream.StreamDamaged:
                    self._chunks = index
                    break
        return digest

    # -- writing ---------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self._state != "open":
            raise ValueError(f"write to an upload that is {self._state}")
        if self.offset + len(data) > self.length:
            raise TooMuchData(self.key)
        self.offset += len(data)
        if not self._buffer and len(data) == self.chunk_bytes and self._chunks < self._whole:
            self._seal_chunk(bytes(data), final=False)  # whole chunks: no copying about
            return
        self._buffer += data
        # The final chunk waits for finish(): it is sealed with its flag there.
        while self._chunks < self._whole and len(self._buffer) >= self.chunk_bytes:
            chunk = bytes(self._buffer[: self.chunk_bytes])
            del self._buffer[: self.chunk_bytes]
            self._seal_chunk(chunk, final=False)

    def _seal_chunk(self, chunk: bytes, *, final: bool) -> None:
        if self._out is None:
            self._seal_into = crypto.sealer_into(self._blob_key)
            self._out = _Appender(self._part_path, self._end, self._record)
        self._lane.add(chunk)  # counted there before it is sealed: a failed seal is a mismatch
        out = self._out
        out.advance(
            aead_stream.seal_frame_into(
                self._seal_into, out.view[out.fill :], self._context, self._chunks, final, chunk
            )
        )
        self._chunks += 1

    def _close_out(self, *, write: bool = True, sync: bool = False) -> None:
        if self._out is not None:
            out, self._out = self._out, None
            out.close(write=write, sync=sync)

    def _save(self) -> None:
        """The tail after the chunks, replaced atomically. Not synced: a restart of the server
        loses nothing (the bytes are in the system's cache), and after a crash of the machine
        itself what did not reach the disk fails authentication when the upload is next
        opened and counts as not received (``_rehash``, ``_read_tail``). The whole file is
        synced once, in ``finish``, before it becomes a blob. The hash is not waited for:
        its lane goes on with the chunks handed over, and is left for the next request."""
        self._close_out()
        if self._buffer:
            sealed = crypto.seal(self._blob_key, bytes(self._buffer), self._tail_aad(self._chunks))
            fresh = self._tail_path.with_suffix(".tail-new")
            with open(fresh, "wb") as out:
                out.write(_COUNT.pack(self._chunks) + sealed)
            os.replace(fresh, self._tail_path)
        else:
            self._tail_path.unlink(missing_ok=True)

    def finish(self) -> tuple[StoredBlob, bool]:
        """Seal the final chunk and put the blob in the store: ``(blob, created)``, created
        False when the store held the same content already (then the part file is dropped;
        the blob there may be someone else's)."""
        if self._state != "open" or self.offset != self.length:
            raise ValueError("finish an upload before its last byte arrived")
        self._state = "finishing"
        try:
            self._seal_chunk(bytes(self._buffer), final=True)
            self._buffer.clear()
            self._close_out(sync=True)  # while the lane hashes what is left
            sha256 = self._lane.hexdigest()
            name = blob_name(sha256)
            created = not self.store.exists(name)
            if created:
                self.store._install(self._part_path, name)
        except BaseException:
            self._state = "open"  # __exit__ cuts the final chunk away again on the next open
            raise
        self._state = "finished"
        self._part.close()
        discard(self.store, self.key)
        return StoredBlob(name, self.length, sha256), created

    def discard(self) -> None:
        """Cancel the upload: its files go, and leaving the block saves nothing."""
        self._lane.cancel()
        self._close_out(write=False)
        discard(self.store, self.key)
        self._state = "discarded"

    def __exit__(self, *exc_info) -> None:
        if self._state == "open":
            try:
                self._save()
                with _HASHES_LOCK:
                    _HASHES[self.key] = self._lane
            except BaseException:
                self._lane.cancel()  # the next request hashes again what is on disk
                raise
            finally:
                self._state = "closed"
                self._part.close()
        elif self._state != "finished":
            if self._lane is not None:
                self._lane.cancel()
            self._close_out(write=False)
            self._part.close()
