"""Stored files (evidence, documents, receipts), encrypted in authenticated 1 MiB chunks.

A blob is written in one streaming pass: the plaintext SHA-256 is computed while the chunks are
encrypted (``aead_stream``) into a spool file, so memory stays flat for a 10 GB video. Its name
is HMAC(blob-name key, SHA-256): the store can deduplicate, yet a copy of it does not reveal
which known files it holds. Each blob's chunks are bound to a random blob id kept in its
header, so chunks cannot be moved between blobs.

Data that arrives in pieces (an upload, read from the request as it comes) goes through a
``BlobWriter``: ``write()`` each piece, then ``finish()``, or ``abort()``. ``put()`` is the same
writer fed from a file. Only ciphertext reaches the disk, in the spool file. A writer holds a
lock on its spool file while it lives; a spool file nobody holds is the leftover of a killed
process (``leftovers``), removed when a server or worker starts and by `evidence verify`.

Backends: a local directory (default) and any S3-compatible object store.
"""

import contextlib
import errno
import fcntl
import hashlib
import io
import os
import struct
import tempfile
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from django.conf import settings

from . import aead_stream, crypto
from .keyring import KEYRING, Purpose

MAGIC = b"WSBLOB1\n"
_ID_BYTES = 16
SPOOL_PREFIX = ".incoming-"
_LEFTOVER_AFTER = 2.0  # seconds: a spool file younger than this may be about to be locked


class BlobMissing(Exception):
    pass


class BlobDamaged(crypto.DecryptionError):
    """The stored bytes fail authentication: tampered, truncated, or not ours."""


@dataclass(frozen=True)
class StoredBlob:
    name: str
    size: int
    sha256: str


def blob_name(sha256_hex: str) -> str:
    return crypto.hmac_sha256(KEYRING.subkey(Purpose.BLOB_NAMES), bytes.fromhex(sha256_hex)).hex()


def _discard_spool(spool: BinaryIO, path: Path) -> None:
    spool.close()
    path.unlink(missing_ok=True)


class BlobWriter:
    """A blob written piece by piece: ``write()`` what has arrived, then ``finish()`` for the
    ``StoredBlob``, or ``abort()``. Each piece is encrypted into the spool file as it comes
    (whole chunks: at most one chunk of plaintext is held, plus one waiting for its final
    flag), and hashed on a second thread while the chunk before it is encrypted (hashlib
    releases the GIL), so a large file is read once and both jobs share two cores.

    The spool file holds ciphertext only and is removed by ``finish()`` (after it is installed
    as the blob), by ``abort()``, by leaving a ``with`` block without ``finish()``, and when
    an unfinished writer is garbage-collected.

    ``created`` is set by ``finish()``: False when the store held the same content already
    (blobs are named by content, so that blob may belong to someone else: do not delete it
    on this upload's behalf)."""

    def __init__(self, store: "BlobStore"):
        self.store = store
        self.chunk_bytes = store.chunk_bytes
        spool_dir = store._spool_dir()
        spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, spool_name = tempfile.mkstemp(dir=spool_dir, prefix=SPOOL_PREFIX)
        fcntl.flock(fd, fcntl.LOCK_EX)  # held until the file is closed: "still being written"
        self._spool_path = Path(spool_name)
        self._spool = os.fdopen(fd, "wb")
        self._discard = weakref.finalize(self, _discard_spool, self._spool, self._spool_path)
        blob_id = os.urandom(_ID_BYTES)
        self._spool.write(MAGIC + blob_id)
        self._encryptor = aead_stream.StreamEncryptor(
            KEYRING.subkey(Purpose.BLOBS), self._spool, MAGIC + blob_id, self.chunk_bytes
        )
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
        self._encryptor.write(chunk)

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
                self._encryptor.write(rest)
            self._wait_for_hash()
            self._encryptor.close()
            self._spool.flush()
            os.fsync(self._spool.fileno())
            self._spool.close()
            sha256 = self._sha256.hexdigest()
            name = blob_name(sha256)
            # Same content stored already: keep the first copy.
            self.created = not self.store.exists(name)
            if self.created:
                self.store._install(self._spool_path, name)
        except BaseException:
            self._state = "aborted"
            raise
        finally:
            self._stop_hashing()
            self._discard()
        self._state = "finished"
        return StoredBlob(name, self.size, sha256)

    def abort(self) -> None:
        """Throw away what was written. Does nothing after ``finish()`` or a first ``abort()``
        (a finished blob is deleted through the store, by whoever owns it)."""
        if self._state != "open":
            return
        self._state = "aborted"
        self._buffer.clear()
        self._stop_hashing()
        self._discard()


def _decrypt(stored: BinaryIO) -> Iterator[bytes]:
    header = stored.read(len(MAGIC) + _ID_BYTES)
    if len(header) < len(MAGIC) + _ID_BYTES or not header.startswith(MAGIC):
        raise BlobDamaged("not a Waystation blob")
    try:
        yield from aead_stream.decrypt_from(KEYRING.subkey(Purpose.BLOBS), stored, header)
    except aead_stream.StreamDamaged as problem:
        raise BlobDamaged(str(problem)) from None


_HEADER_BYTES = len(MAGIC) + _ID_BYTES
_LENGTH = struct.Struct(">I")
_SEAL_OVERHEAD = crypto.NONCE_BYTES + crypto.TAG_BYTES


class _RandomAccess(Protocol):
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

    def __init__(self, stored: _RandomAccess, cache_chunks: int = 4):
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
        header = self._stored.read_at(0, _HEADER_BYTES)
        if len(header) < _HEADER_BYTES or not header.startswith(MAGIC):
            raise BlobDamaged("not a Waystation blob")
        self._context = header
        first = self._stored.read_at(_HEADER_BYTES, _LENGTH.size)
        if len(first) < _LENGTH.size:
            raise BlobDamaged("cut off after 0 chunks: the final chunk is missing")
        (length,) = _LENGTH.unpack(first)
        if not _SEAL_OVERHEAD <= length <= aead_stream.CHUNK_BYTES + 64:
            raise BlobDamaged("chunk 0 has an impossible length")
        # Every chunk but the last has the first one's length; the last is what remains.
        body = self._stored.size - _HEADER_BYTES
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
        raw = self._stored.read_at(_HEADER_BYTES + index * self._record, size)
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


class _LocalRandomAccess:
    def __init__(self, path: Path):
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.size = os.fstat(self._file.fileno()).st_size

    def read_at(self, offset: int, length: int) -> bytes:
        self._file.seek(offset)
        return self._file.read(length)

    def close(self) -> None:
        self._file.close()


class _S3RandomAccess:
    """Ranged GETs: one request per chunk read (the reader keeps the last few)."""

    def __init__(self, client, bucket: str, name: str, size: int):
        self._client, self._bucket, self._name, self.size = client, bucket, name, size

    def read_at(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        if length <= 0:
            return b""
        answer = self._client.get_object(
            Bucket=self._bucket, Key=self._name, Range=f"bytes={offset}-{offset + length - 1}"
        )
        return answer["Body"].read()

    def close(self) -> None:
        pass


class BlobStore:
    """What both backends share: streaming put with hashing, verifying reads."""

    chunk_bytes = aead_stream.CHUNK_BYTES

    def _spool_dir(self) -> Path:
        raise NotImplementedError

    def _install(self, spool_path: Path, name: str) -> None:
        raise NotImplementedError

    def _open_stored(self, name: str) -> BinaryIO:
        raise NotImplementedError

    def _open_random(self, name: str) -> _RandomAccess:
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    def delete(self, name: str) -> None:
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
            for chunk in _decrypt(stored):
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


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        return self.root / name[:2] / name[2:4] / name

    def _spool_dir(self) -> Path:
        return self.root

    def _install(self, spool_path: Path, name: str) -> None:
        target = self._path(name)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.replace(spool_path, target)

    def _open_stored(self, name: str) -> BinaryIO:
        try:
            return open(self._path(name), "rb")
        except FileNotFoundError:
            raise BlobMissing(name) from None

    def _open_random(self, name: str) -> _RandomAccess:
        try:
            return _LocalRandomAccess(self._path(name))
        except FileNotFoundError:
            raise BlobMissing(name) from None

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


class S3BlobStore(BlobStore):
    """Any S3-compatible store. Blobs are encrypted before they leave this machine; the spool
    file is uploaded with boto3's managed (multipart) transfer, streamed from disk."""

    def __init__(self, client, bucket: str, spool_dir: Path):
        self.client, self.bucket, self.spool = client, bucket, Path(spool_dir)

    def _spool_dir(self) -> Path:
        return self.spool

    def _install(self, spool_path: Path, name: str) -> None:
        self.client.upload_file(str(spool_path), self.bucket, name)

    def _open_stored(self, name: str) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=name)["Body"]
        except self.client.exceptions.NoSuchKey:
            raise BlobMissing(name) from None

    def _head(self, name: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise

    def _open_random(self, name: str) -> _RandomAccess:
        head = self._head(name)
        if head is None:
            raise BlobMissing(name)
        return _S3RandomAccess(self.client, self.bucket, name, int(head["ContentLength"]))

    def exists(self, name: str) -> bool:
        return self._head(name) is not None

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=name)


def blob_store() -> BlobStore:
    """The store configured in settings.BLOB_STORE."""
    config = settings.BLOB_STORE
    if config["backend"] == "s3":
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=config["endpoint_url"] or None,
            aws_access_key_id=config["access_key"],
            aws_secret_access_key=config["secret_key"],
            region_name=config["region"] or "us-east-1",
        )
        return S3BlobStore(client, config["bucket"], settings.DATA_DIR / "spool")
    return LocalBlobStore(Path(config["root"]))
