"""A stored blob's format: its header (``MAGIC`` and a random blob id, to which every chunk is
bound), its name (HMAC of the content's SHA-256), and reading it back whole."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .. import aead_stream, crypto
from ..keyring import KEYRING, Purpose

MAGIC = b"WSBLOB1\n"
ID_BYTES = 16
HEADER_BYTES = len(MAGIC) + ID_BYTES


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


def decrypt(stored: BinaryIO) -> Iterator[bytes]:
    """The plaintext of a stored blob read from the start, chunk by chunk, each verified."""
    header = stored.read(HEADER_BYTES)
    if len(header) < HEADER_BYTES or not header.startswith(MAGIC):
        raise BlobDamaged("not a Waystation blob")
    try:
        yield from aead_stream.decrypt_from(KEYRING.subkey(Purpose.BLOBS), stored, header)
    except aead_stream.StreamDamaged as problem:
        raise BlobDamaged(str(problem)) from None
