"""Stored files (evidence, documents, receipts), encrypted in authenticated 1 MiB chunks.

A blob is written in one streaming pass: the plaintext SHA-256 is computed while the chunks are
encrypted (``aead_stream``) into a spool file, so memory stays flat for a 10 GB video. Its name
is HMAC(blob-name key, SHA-256): the store can deduplicate, yet a copy of it does not reveal
which known files it holds. Each blob's chunks are bound to a random blob id kept in its
header, so chunks cannot be moved between blobs.

Data that arrives in pieces (an upload, read from the request as it comes) goes through a
``BlobWriter``: ``write()`` each piece, then ``finish()``, or ``abort()``. ``put()`` is the same
writer fed from a file. Only ciphertext reaches the disk, in the spool file.

Backends: a local directory (default) and any S3-compatible object store.
"""

import contextlib
import hashlib
import os
import tempfile
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from . import aead_stream, crypto
from .keyring import KEYRING, Purpose

MAGIC = b"WSBLOB1\n"
_ID_BYTES = 16


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
        fd, spool_name = tempfile.mkstemp(dir=spool_dir, prefix=".incoming-")
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


class BlobStore:
    """What both backends share: streaming put with hashing, verifying reads."""

    chunk_bytes = aead_stream.CHUNK_BYTES

    def _spool_dir(self) -> Path:
        raise NotImplementedError

    def _install(self, spool_path: Path, name: str) -> None:
        raise NotImplementedError

    def _open_stored(self, name: str) -> BinaryIO:
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    def delete(self, name: str) -> None:
        raise NotImplementedError

    def writer(self) -> BlobWriter:
        """A writer for data that arrives in pieces; see ``BlobWriter``."""
        return BlobWriter(self)

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

    def exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

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
