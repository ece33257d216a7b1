"""What a received file is, told from its first bytes, and images cleaned of what they reveal.

``sniff()`` decides the type from the file's own bytes (its "magic"), never from the name or
the Content-Type the browser sent: both are chosen by the sender. Only the types on the
allow-list below are accepted; archives (zip, and so docx/xlsx/odt, which are zips),
executables and everything else are refused by type, so a zip bomb is refused whatever it is
called. Sniffing reads the start of a file: a file can be two formats at once (a JPEG with a
zip appended is still a valid JPEG). Images are re-encoded by ``strip_metadata()``, which
drops anything appended; other files are stored as sent and must be served as downloads of
their sniffed type (``Content-Disposition: attachment``, ``nosniff``), never opened here.

``strip_metadata()`` re-encodes an image without EXIF (GPS position, camera serial, time),
XMP, ICC profile or comments, with the EXIF orientation applied to the pixels. PDFs, videos
and audio keep their metadata (author, software, GPS in a phone video's track): the UI must
say so where such files are received.
"""

import codecs
import io
import re

from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, JpegImagePlugin

from .blobstore import BlobStore, StoredBlob, blob_store
from .refusals import Refusal

# Enough for every signature below and for a fair look at a text file.
SNIFF_BYTES = 8 * 1024

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/3gpp": ".3gp",
    "audio/mp4": ".m4a",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
}
ACCEPTED = frozenset(EXTENSIONS)
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}

# A 48-megapixel phone photo fits; decoding one takes about 150 MiB (RGB).
MAX_IMAGE_PIXELS = 50_000_000
# The whole image is decrypted into memory to decode it (Pillow seeks), never onto disk.
MAX_IMAGE_BYTES = 64 << 20

_lazy_filesize = lazy(filesizeformat, str)


class MediaRefused(Refusal):
    """A file refused for what it is, with a message for the person who sent it, in the
    language active when ``message`` is read (``Refusal`` fills in the params then)."""


IMAGE_TOO_BIG = _(
    "This image is too large to process (more than %(limit)s megapixels). "
    "Send a smaller copy of it."
)
IMAGE_FILE_TOO_BIG = _("This image file is too large to process (more than %(limit)s).")
IMAGE_DAMAGED = _("This image could not be read: it is damaged or not really an image.")


# -- sniffing ---------------------------------------------------------------------------------

_FTYP_BRANDS = {
    **dict.fromkeys(
        [b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"mmp4"],
        "video/mp4",
    ),
    **dict.fromkeys([b"dash", b"MSNV", b"XAVC", b"M4V "], "video/mp4"),
    b"qt  ": "video/quicktime",
    **dict.fromkeys([b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"3g2b", b"3g2c"], "video/3gpp"),
    **dict.fromkeys([b"M4A ", b"M4B "], "audio/mp4"),
}
_WEBP_CHUNKS = (b"VP8 ", b"VP8L", b"VP8X")
# Text may hold tabs, line and page breaks; other control characters (and NUL) mean binary.
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f]")


class TextCheck:
    """Whether a stream is plain text (UTF-8, no NUL or other binary control characters),
    fed piece by piece, so that a file whose start is text is checked to its end."""

    def __init__(self):
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.ok = True

    def feed(self, data: bytes, *, final: bool = False) -> bool:
        if self.ok:
            try:
                text = self._decoder.decode(data, final)
            except UnicodeDecodeError:
                self.ok = False
            else:
                self.ok = not _NOT_TEXT.search(text)
        return self.ok


def _ftyp(head: bytes) -> str | None:
    if head[4:8] != b"ftyp" or not 12 <= int.from_bytes(head[:4], "big") <= 4096:
        return None
    return _FTYP_BRANDS.get(head[8:12])


def _ogg_audio(head: bytes) -> bool:
    if not head.startswith(b"OggS\x00") or len(head) < 27:
        return False
    packet = head[27 + head[26] :]  # after the page header and its segment table
    return packet.startswith((b"OpusHead", b"\x01vorbis"))


def _mp3(head: bytes) -> bool:
    if head.startswith(b"ID3"):  # ID3v2 tag: version 2-4, then a "syncsafe" size
        return len(head) >= 10 and head[3] in (2, 3, 4) and all(b < 0x80 for b in head[6:10])
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer == 1 and bitrate not in (0, 15) and rate != 3


def sniff(head: bytes) -> str | None:
    """The media type of a file starting with ``head`` (give it at least ``SNIFF_BYTES``, or
    the whole file if shorter), or None when it is not one we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return "image/png"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP" and head[12:16] in _WEBP_CHUNKS:
        return "image/webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if media_type := _ftyp(head):
        return media_type
    if _ogg_audio(head):
        return "audio/ogg"
    if _mp3(head):
        return "audio/mpeg"
    if head and TextCheck().feed(head):
        return "text/plain"
    return None


# -- cleaning images --------------------------------------------------------------------------

# Of what Pillow reads into ``info``, only this is kept: it is part of the picture.
_KEPT_INFO = ("transparency",)


def _save_options(image: Image.Image, pillow_format: str, data: bytes) -> dict:
    if pillow_format == "JPEG":
        options = {"qtables": image.quantization}  # the original's quality, not a new one
        if (sampling := JpegImagePlugin.get_sampling(image)) != -1:
            options["subsampling"] = sampling
        return options
    if pillow_format == "WEBP":
        return {"lossless": True} if data[12:16] == b"VP8L" else {"quality": 90}
    return {}


def strip_metadata(
    blob: StoredBlob,
    media_type: str,
    *,
    store: BlobStore | None = None,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> StoredBlob:
    """For an image: a clean copy, stored as a new blob (the original stays; delete it if it
    must not be kept). For any other type: ``blob`` itself, metadata and all.

    The image is decoded by Pillow only as the sniffed format, after its size is checked
    against ``max_pixels`` (a small file can claim a huge picture: a decompression bomb).
    The pixels are re-encoded in the same format with the EXIF orientation applied; EXIF,
    GPS, XMP, ICC profile and comments are left out. An animation keeps its first frame
    only. Raises ``MediaRefused`` when the image is too large or cannot be decoded."""
    pillow_format = IMAGE_TYPES.get(media_type)
    if pillow_format is None:
        return blob
    if blob.size > MAX_IMAGE_BYTES:
        raise MediaRefused(IMAGE_FILE_TOO_BIG, limit=_lazy_filesize(MAX_IMAGE_BYTES))
    store = store or blob_store()
    data = b"".join(store.open(blob.name))
    cleaned = io.BytesIO()
    try:
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            if image.width * image.height > max_pixels:
                raise MediaRefused(IMAGE_TOO_BIG, limit=max_pixels // 1_000_000)
            options = _save_options(image, pillow_format, data)
            ImageOps.exif_transpose(image, in_place=True)
            image.info = {key: image.info[key] for key in _KEPT_INFO if key in image.info}
            image.save(cleaned, format=pillow_format, **options)
    except MediaRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit, above ours unless ``max_pixels`` was raised past it.
        raise MediaRefused(IMAGE_TOO_BIG, limit=max_pixels // 1_000_000) from None
    except Exception as error:  # any failure to decode untrusted input means the same
        raise MediaRefused(IMAGE_DAMAGED) from error
    cleaned.seek(0)
    return store.put(cleaned)
