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

Backends: a local directory (default, ``local``) and any S3-compatible object store (``s3``).
The modules: ``format`` (header, name, reading whole), ``seekable`` (random access),
``store`` (the writer and what backends share), ``local`` and ``s3``, ``reconcile`` (rows
against objects: `waystation blobs check`). Import from here.
"""


from pathlib import Path

from django.conf import settings

from .format import MAGIC, BlobDamaged, BlobMissing, StoredBlob, blob_name
from .local import LocalBlobStore
from .seekable import SeekableBlob
from .store import (
    BLOB_NAME,
    SPOOL_PREFIX,
    BlobStore,
    BlobWriter,
    StoredObject,
    StoreUnreachable,
)

__all__ = [
    "BLOB_NAME",
    "MAGIC",
    "SPOOL_PREFIX",
    "BlobDamaged",
    "BlobMissing",
    "BlobStore",
    "BlobWriter",
    "LocalBlobStore",
    "S3BlobStore",
    "SeekableBlob",
    "StoreUnreachable",
    "StoredBlob",
    "StoredObject",
    "blob_name",
    "blob_store",
]


def blob_store() -> BlobStore:
    """The store configured in settings.BLOB_STORE."""
    config = settings.BLOB_STORE
    if config["backend"] == "s3":
        # Imported only for an S3 store: boto3 takes one to two seconds to import, which every
        # command and test of an instance on local disk would otherwise pay.
        from .s3 import s3_store

        return s3_store(config, settings.DATA_DIR / "spool")
    return LocalBlobStore(Path(config["root"]))


def __getattr__(name: str):
    """``S3BlobStore`` from here as before, imported when first asked for (boto3: see above)."""
    if name == "S3BlobStore":
        from .s3 import S3BlobStore

        return S3BlobStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
