"""What a file is, from its first bytes (never its name), and the item kind that follows."""

import re

from waystation.core.blobstore import StoredBlob, blob_store
from waystation.core.media import SNIFF_BYTES, sniff

from ..models import ItemKind

# -- what a file is ---------------------------------------------------------------------------

_MAGIC_TYPES = [
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),  # an empty zip
    (b"%PDF-", "application/pdf"),
    (b"fLaC", "audio/flac"),
    (b"#!AMR\n", "audio/amr"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"II+\x00", "image/tiff"),  # BigTIFF
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
]
_RIFF_TYPES = {b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
_HEIF_BRANDS = {
    **dict.fromkeys([b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"], "image/heic"),
    **dict.fromkeys([b"mif1", b"msf1"], "image/heif"),
    b"avif": "image/avif",
}
_EBML = b"\x1a\x45\xdf\xa3"
_JSON_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*[\[{]")
_ODF_MIMETYPE = re.compile(rb"application/vnd\.oasis\.opendocument\.[a-z.-]{1,40}")


def _odf(head: bytes) -> str | None:
    """An OpenDocument file starts with an uncompressed member "mimetype" holding its type."""
    if head[26:28] != b"\x08\x00" or head[30:38] != b"mimetype":
        return None
    match = _ODF_MIMETYPE.match(head, 38)
    return match.group().decode() if match else None


def detect_media_type(head: bytes) -> str:
    """The media type told by a file's first bytes (give ``SNIFF_BYTES`` of them, or the whole
    file if shorter); ``application/octet-stream`` when unknown. DOCX and XLSX are zips and
    reported as such; OpenDocument files are recognised by their leading "mimetype"."""
    found = sniff(head)
    if found == "text/plain":
        return "application/json" if _JSON_START.match(head) else found
    if found:
        return found
    if head.startswith(b"PK\x03\x04") and (odf := _odf(head)):
        return odf
    for magic, media_type in _MAGIC_TYPES:
        if head.startswith(magic):
            return media_type
    if head.startswith(b"RIFF") and head[8:12] in _RIFF_TYPES:
        return _RIFF_TYPES[head[8:12]]
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return _HEIF_BRANDS[head[8:12]]
    if head.startswith(b"OggS"):
        return "video/ogg" if b"\x80theora" in head[:512] else "audio/ogg"
    if head.startswith(_EBML):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    return "application/octet-stream"


def head_of(blob: StoredBlob, size: int = SNIFF_BYTES) -> bytes:
    with blob_store().open_seekable(blob.name) as stored:
        return stored.read(size)


def kind_for(media_type: str) -> str:
    if media_type.startswith("video/"):
        return ItemKind.VIDEO
    if media_type.startswith("image/"):
        return ItemKind.PHOTO
    if media_type.startswith("audio/"):
        return ItemKind.AUDIO
    if media_type in ("application/pdf", "text/plain", "application/json") or (
        media_type.startswith("application/vnd.oasis.opendocument.")
    ):
        return ItemKind.DOCUMENT
    return ItemKind.OTHER
