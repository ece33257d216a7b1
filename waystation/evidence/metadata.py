"""What a file is (from its content, never its name) and what it says about itself.

Reading never changes the original: metadata is extracted from the decrypted stream of the
stored blob (or the source file while it is ingested) into a JSON-ready dict."""

from waystation.core.blobstore import StoredBlob, blob_store
from waystation.core.media import SNIFF_BYTES, sniff

from .models import ItemKind

_MORE_TYPES = [
    (b"PK\x03\x04", "application/zip"),
    (b"%PDF-", "application/pdf"),
]


def detect_media_type(head: bytes) -> str:
    found = sniff(head)
    if found:
        return found
    for magic, media_type in _MORE_TYPES:
        if head.startswith(magic):
            return media_type
    return "application/octet-stream"


def head_of(blob: StoredBlob, size: int = SNIFF_BYTES) -> bytes:
    collected = bytearray()
    for chunk in blob_store().open(blob.name):
        collected += chunk
        if len(collected) >= size:
            break
    return bytes(collected[:size])


def kind_for(media_type: str) -> str:
    if media_type.startswith("video/"):
        return ItemKind.VIDEO
    if media_type.startswith("image/"):
        return ItemKind.PHOTO
    if media_type.startswith("audio/"):
        return ItemKind.AUDIO
    if media_type in ("application/pdf", "text/plain"):
        return ItemKind.DOCUMENT
    return ItemKind.OTHER


def extract(blob: StoredBlob, media_type: str) -> dict:
    return {}
