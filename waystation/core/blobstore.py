"""Stored files (evidence, documents, receipts), encrypted in authenticated 1 MiB chunks.

A blob is written in one streaming pass: the plaintext SHA-256 is computed while the chunks are
encrypted (``aead_stream``) into a spool file, so memory stays flat for a 10 GB video. Its name
is HMAC(blob-name key, SHA-256): the store can deduplicate, yet a copy of it does not reveal
which known files it holds. Each blob's chunks are bound to a random blob id kept in its
header, so chunks cannot be moved between blobs.

Backends: a local directory (default) and any S3-compatible object store.
"""

import contextlib
import hashlib
import os
import tempfile
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


class _HashingReader:
    """Reads the source in chunks and hashes them on the way through. The hashing of one chunk
    runs on a second thread while this one encrypts and writes it (hashlib releases the GIL),
    so a large file is read once and both jobs share the two cores."""

    def __init__(self, source: BinaryIO, chunk_bytes: int):
        self.source, self.chunk_bytes = source, chunk_bytes
        self.sha256, self.size = hashlib.sha256(), 0

    def __iter__(self) -> Iterator[bytes]:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="blob-hash") as hasher:
            pending = None
            while chunk := self.source.read(self.chunk_bytes):
                if pending is not None:
                    pending.result()  # in order, and at most one chunk being hashed
                pending = hasher.submit(self.sha256.update, chunk)
                self.size += len(chunk)
                yield chunk
            if pending is not None:
                pending.result()


def _encrypt_to_spool(source: BinaryIO, spool: BinaryIO, chunk_bytes: int):
    blob_id = os.urandom(_ID_BYTES)
    spool.write(MAGIC + blob_id)
    reader = _HashingReader(source, chunk_bytes)
    encryptor = aead_stream.StreamEncryptor(
        KEYRING.subkey(Purpose.BLOBS), spool, MAGIC + blob_id, chunk_bytes
    )
    for chunk in reader:
        encryptor.write(chunk)
    encryptor.close()
    spool.flush()
    os.fsync(spool.fileno())
    return reader.size, reader.sha256.hexdigest()


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

    def put(self, source: BinaryIO) -> StoredBlob:
        spool_dir = self._spool_dir()
        spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, spool_name = tempfile.mkstemp(dir=spool_dir, prefix=".incoming-")
        spool_path = Path(spool_name)
        try:
            with os.fdopen(fd, "wb") as spool:
                size, sha256 = _encrypt_to_spool(source, spool, self.chunk_bytes)
            name = blob_name(sha256)
            if not self.exists(name):  # same content stored already: keep the first copy
                self._install(spool_path, name)
        finally:
            spool_path.unlink(missing_ok=True)
        return StoredBlob(name, size, sha256)

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
