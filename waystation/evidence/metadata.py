"""What a file is (from its content, never its name) and what it says about itself.

Reading never changes the original: everything here reads the stored blob through
``blob_store().open_seekable()``, which decrypts only the chunks a parser asks for; nothing is
written, re-saved or decoded to pixels. ``extract()`` returns a JSON-ready dict:

- images (JPEG, PNG, WebP, GIF, TIFF): ``format``, ``width``, ``height``, ``exif`` (tags by
  name: Make, Model, DateTimeOriginal, Software, Orientation…) and ``gps`` (``latitude``,
  ``longitude`` in decimal degrees, ``altitude`` in metres, ``timestamp`` in UTC, and the
  other GPS tags by name);
- video and audio (hachoir): the container's items by hachoir's names (``duration`` in
  seconds, ``creation_date``, ``width``, ``height``, ``compression`` (the codec), ``producer``
  (the encoder), ``title``, ``comment``…), and per stream under ``streams``;
- PDF (pypdf): ``title``, ``author``, ``subject``, ``keywords``, ``creator``, ``producer``,
  ``creation_date``, ``modification_date``, any other info keys under ``other``, ``pages``,
  ``pdf_version`` and ``encrypted``.

Untrusted files meet three parsers here, so each is bounded: image metadata is read only from
files up to ``MAX_IMAGE_BYTES`` and pictures up to ``MAX_IMAGE_PIXELS``, PDFs up to
``MAX_PDF_BYTES``, and every parser may read at most ``READ_BUDGET`` bytes within
``TIME_BUDGET`` seconds. No parser exception escapes: a file whose metadata cannot be read is
still ingested, with ``{"error": "…"}`` saying why.
"""

import datetime
import io
import logging
import math
import numbers
import re
import struct
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy
from PIL import ExifTags, Image

from waystation.core.blobstore import StoredBlob, blob_store
from waystation.core.media import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, SNIFF_BYTES, sniff

from .models import ItemKind

logger = logging.getLogger(__name__)

MAX_PDF_BYTES = 256 << 20
READ_BUDGET = 64 << 20  # what one parser may read of a file, in bytes
TIME_BUDGET = 20.0  # seconds
_MAX_TEXT = 2000  # characters kept of any one value


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


# -- bounded reading --------------------------------------------------------------------------


class _OverBudget(BaseException):
    """A parser read too much or took too long. A BaseException, so that a parser's own
    ``except Exception`` cannot swallow it and carry on."""


class _Guarded(io.RawIOBase):
    """A seekable file that counts what a parser reads and stops it past the budget."""

    def __init__(self, inner):
        super().__init__()
        self._inner, self._left = inner, READ_BUDGET
        self._deadline = time.monotonic() + TIME_BUDGET

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def readinto(self, buffer) -> int:
        if time.monotonic() > self._deadline:
            raise _OverBudget(f"took longer than {TIME_BUDGET:.0f} seconds")
        done = self._inner.readinto(buffer)
        self._left -= done
        if self._left < 0:
            raise _OverBudget(f"needed to read more than {READ_BUDGET >> 20} MB")
        return done


# -- turning parser values into JSON ----------------------------------------------------------


def _text(value: str) -> str:
    return value.replace("\x00", "").strip()[:_MAX_TEXT]


def _number(value) -> float | int | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 1 << 53 else round(number, 6)


def _json_ready(value):
    """Plain JSON types only: no NaN, no bytes, no datetimes; long texts cut."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, numbers.Real):  # floats, and EXIF's rationals
        return _number(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return round(value.total_seconds(), 3)
    if isinstance(value, bytes):
        return _printable(value)
    if isinstance(value, dict):
        found = {str(k): _json_ready(v) for k, v in value.items()}
        return {k: v for k, v in found.items() if v not in (None, "", [], {})}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value][:100]
    return _text(str(value))


def _printable(value: bytes) -> str | None:
    """Short ASCII bytes (a version "0232"), else nothing: binary blobs are left out."""
    value = value.rstrip(b"\x00")
    if len(value) <= 256 and value.isascii() and value.decode().isprintable():
        return value.decode()
    return None


# -- images -----------------------------------------------------------------------------------

_PILLOW_FORMATS = {
    "image/jpeg": ["JPEG", "MPO"],
    "image/png": ["PNG"],
    "image/webp": ["WEBP"],
    "image/gif": ["GIF"],
    "image/tiff": ["TIFF"],
}
# Offsets to other directories, and vendor blobs: structure, not information.
_SKIPPED_TAGS = {
    0x8769,  # ExifOffset
    0x8825,  # GPSInfo
    0xA005,  # InteropOffset
    0x927C,  # MakerNote
    0xC4A5,  # PrintImageMatching
    0x0201,  # JpegIFOffset
    0x0202,  # JpegIFByteCount
    0x0111,  # StripOffsets
    0x0117,  # StripByteCounts
    0x0144,  # TileOffsets
    0x0145,  # TileByteCounts
    0x02BC,  # XMLPacket
    0x83BB,  # IPTCNAA
    0x8773,  # InterColorProfile
}
_WINDOWS_TAGS = {0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F}  # XPTitle…XPSubject, UTF-16LE
_USER_COMMENT = 0x9286
_COMMENT_CODES = {
    b"ASCII\x00\x00\x00": "ascii",
    b"UNICODE\x00": "utf-16",
    b"JIS\x00\x00\x00\x00\x00": "shift_jis",
}


def _tag_value(tag: int, value):
    try:
        if tag in _WINDOWS_TAGS and isinstance(value, bytes | tuple):
            return _text(bytes(value).decode("utf-16-le", "replace"))
        if tag == _USER_COMMENT and isinstance(value, bytes):
            codec = _COMMENT_CODES.get(value[:8])
            return _text(value[8:].decode(codec, "replace")) if codec else None
    except (ValueError, TypeError):
        return None
    return _json_ready(value)


def _named_tags(directory) -> dict:
    found = {}
    for tag, value in directory.items():
        name = ExifTags.TAGS.get(tag)
        if name and tag not in _SKIPPED_TAGS:
            found[name] = _tag_value(tag, value)
    return found


def _degrees(value, ref) -> float | None:
    if not isinstance(value, tuple | list) or not 1 <= len(value) <= 3:
        return None
    parts = [_number(part) for part in value]
    if any(part is None for part in parts):
        return None
    degrees = sum(part / 60**i for i, part in enumerate(parts))
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip().upper() in ("S", "W"):
        degrees = -degrees
    return round(degrees, 7)


def _gps(directory) -> dict:
    found: dict = {}
    latitude = _degrees(directory.get(2), directory.get(1))
    longitude = _degrees(directory.get(4), directory.get(3))
    if None not in (latitude, longitude) and abs(latitude) <= 90 and abs(longitude) <= 180:
        found["latitude"], found["longitude"] = latitude, longitude
    altitude = _number(directory.get(6))
    if altitude is not None:
        ref = directory.get(5)
        below = ref in (1, b"\x01") or (isinstance(ref, bytes) and ref[:1] == b"\x01")
        found["altitude"] = -altitude if below else altitude
    day, clock = directory.get(29), directory.get(7)
    if isinstance(day, str) and isinstance(clock, tuple) and len(clock) == 3:
        hms = [_number(part) for part in clock]
        if all(part is not None for part in hms):
            hours, minutes, seconds = hms
            found["timestamp"] = (
                f"{day.strip().replace(':', '-')}T"
                f"{int(hours):02d}:{int(minutes):02d}:{seconds:06.3f}Z".replace(".000Z", "Z")
            )
    for tag, value in directory.items():
        name = ExifTags.GPSTAGS.get(tag)
        if name and tag not in (1, 2, 3, 4, 5, 6, 7, 29):
            found[name] = _json_ready(value)
    return found


def _image(file, size: int, media_type: str) -> dict:
    if size > MAX_IMAGE_BYTES:
        return {"error": f"not read: image files over {MAX_IMAGE_BYTES >> 20} MB are not parsed"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's notes on odd files; none changes anything
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(file, formats=_PILLOW_FORMATS[media_type])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return {"error": "not read: the picture claims to be enormous (an image bomb?)"}
        with image:  # opened lazily: the header and metadata are read, never the pixels
            found: dict = {"format": image.format, "width": image.width, "height": image.height}
            if image.width * image.height > MAX_IMAGE_PIXELS:
                found["error"] = f"EXIF not read: more than {MAX_IMAGE_PIXELS:,} pixels"
                return found
            if image.format == "PNG":  # PNG's getexif() would decode the pixels to find it
                exif = Image.Exif()
                if raw := image.info.get("exif"):
                    exif.load(raw)
            else:
                exif = image.getexif()
            tags = _named_tags(exif)
            tags.update(_named_tags(exif.get_ifd(ExifTags.IFD.Exif)))
            found["exif"] = tags
            found["gps"] = _gps(exif.get_ifd(ExifTags.IFD.GPSInfo))
    return found


# -- video and audio --------------------------------------------------------------------------


def _hachoir_items(metadata) -> dict:
    found = {}
    for item in metadata:
        if item.key in ("endian",) or not item.values:
            continue
        values = [_json_ready(value.value) for value in item.values]
        found[item.key] = values[0] if len(values) == 1 else values
    return found


def _container(file, size: int, media_type: str) -> dict:
    found = _hachoir(file)
    if media_type in _ISO_MEDIA:
        file.seek(0)
        try:
            extras = _iso_media(file)
        except (ValueError, struct.error, IndexError) as error:
            extras = {} if found.get("error") else {"error": f"moov box: {error}"[:200]}
        found = {**extras, **found} if "error" in found else {**found, **extras}
    return found


def _hachoir(file) -> dict:
    from hachoir.core import config as hachoir_config
    from hachoir.core.log import log as hachoir_log
    from hachoir.metadata import extractMetadata
    from hachoir.metadata.metadata import MultipleMetadata
    from hachoir.parser import guessParser
    from hachoir.stream import InputIOStream

    hachoir_config.quiet = True  # its warnings would go to stderr
    hachoir_log.use_print = False
    stream = InputIOStream(file, source="<blob>", tags=[])
    parser = guessParser(stream)
    if parser is None:
        return {"error": "the container could not be parsed"}
    metadata = extractMetadata(parser)
    if metadata is None:
        return {"error": f"no metadata reader for this container ({parser.mime_type})"}
    found = _hachoir_items(metadata)
    if isinstance(metadata, MultipleMetadata):
        streams = [_hachoir_items(group) for group in metadata.iterGroups()]
        if streams := [s for s in streams if s]:
            found["streams"] = streams
    return found


# -- what hachoir leaves out of MP4 and QuickTime: codecs, tags, location --------------------

_ISO_MEDIA = {"video/mp4", "video/quicktime", "video/3gpp", "audio/mp4"}
MAX_MOOV_BYTES = 16 << 20  # the movie box: the index of a long video, and its tags
_BOX = struct.Struct(">I4s")
_ISO6709 = re.compile(r"([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?")


def _boxes(data: bytes, start: int = 0, end: int | None = None):
    """(kind, payload start, payload end) of each box in ``data[start:end]``."""
    end = len(data) if end is None else end
    while start + 8 <= end:
        size, kind = _BOX.unpack_from(data, start)
        header = 8
        if size == 1 and start + 16 <= end:
            size, header = struct.unpack_from(">Q", data, start + 8)[0], 16
        elif size == 0:
            size = end - start
        if size < header or start + size > end:
            return
        yield kind, start + header, start + size
        start += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for found, begin, stop in _boxes(data, start, end):
        if found == kind:
            return begin, stop
    return None


def _read_moov(file) -> bytes | None:
    """The movie box, found by hopping from box header to box header (over the media data,
    wherever it is), or None if there is none or it is over ``MAX_MOOV_BYTES``."""
    total = file.seek(0, io.SEEK_END)
    position = 0
    for _ in range(1000):
        if position + 8 > total:
            return None
        file.seek(position)
        header = file.read(16)
        size, kind = _BOX.unpack_from(header)
        length = 8
        if size == 1 and len(header) == 16:
            size, length = struct.unpack_from(">Q", header, 8)[0], 16
        elif size == 0:
            size = total - position
        if size < length:
            return None
        if kind == b"moov":
            if size > MAX_MOOV_BYTES:
                return None
            file.seek(position + length)
            return file.read(size - length)
        position += size
    return None


def _location(text: str) -> dict:
    """ISO 6709 ("+55.7558+037.6173+150.000/"), as phones write it, in decimal degrees."""
    match = _ISO6709.match(text.strip())
    if not match:
        return {}

    def degrees(part: str, width: int) -> float:  # ±DD.D, ±DDMM.M or ±DDMMSS.S
        sign = -1 if part[0] == "-" else 1
        whole = part[1:].split(".")[0]
        value = float(part[1:])
        if len(whole) == width + 2:
            value = value // 100 + (value % 100) / 60
        elif len(whole) == width + 4:
            value = value // 10000 + (value % 10000 // 100) / 60 + (value % 100) / 3600
        return round(sign * value, 7)

    latitude, longitude = degrees(match[1], 2), degrees(match[2], 3)
    if abs(latitude) > 90 or abs(longitude) > 180:
        return {}
    found = {"latitude": latitude, "longitude": longitude}
    if match[3]:
        found["altitude"] = float(match[3])
    return found


def _data_value(data: bytes, start: int, end: int):
    """The value of an item's 'data' box: text, or a number."""
    kind, value = int.from_bytes(data[start : start + 4], "big"), data[start + 8 : end]
    if kind == 1:
        return value.decode("utf-8", "replace")
    if kind in (21, 22) and len(value) in (1, 2, 4, 8):
        return int.from_bytes(value, "big", signed=kind == 21)
    if kind == 23 and len(value) == 4:
        return struct.unpack(">f", value)[0]
    if kind == 24 and len(value) == 8:
        return struct.unpack(">d", value)[0]
    return None


def _items(data: bytes, start: int, end: int, keys: list[str] | None = None) -> dict:
    """An 'ilst' box: items named by their four letters, or by ``keys`` (QuickTime's 'mdta'
    metadata numbers its items into a 'keys' box)."""
    found = {}
    for kind, begin, stop in _boxes(data, start, end):
        if keys is not None:
            number = int.from_bytes(kind, "big")
            name = keys[number - 1] if 0 < number <= len(keys) else None
        else:
            name = kind.decode("latin-1")
        value = _child(data, begin, stop, b"data")
        if name and value:
            found[name] = _data_value(data, *value)
    return found


def _meta(data: bytes, start: int, end: int) -> dict:
    if data[start + 4 : start + 8] != b"hdlr":  # ISO's meta is a full box, QuickTime's not
        start += 4
    keys = None
    if found := _child(data, start, end, b"keys"):
        keys = [
            data[begin:stop].decode("utf-8", "replace")  # each: size, namespace, the name
            for _, begin, stop in _boxes(data, found[0] + 8, found[1])
        ]
    listed = _child(data, start, end, b"ilst")
    return _items(data, *listed, keys) if listed else {}


def _path(data: bytes, start: int, end: int, *kinds: bytes) -> tuple[int, int] | None:
    """The box at the end of ``kinds``, one inside the other."""
    span: tuple[int, int] | None = (start, end)
    for kind in kinds:
        span = _child(data, *span, kind) if span else None
    return span


_HANDLERS = {b"vide": "video", b"soun": "audio"}


def _tracks(data: bytes, start: int, end: int) -> list[dict]:
    """Each track's type and codec (the four letters of its first sample description)."""
    tracks = []
    for kind, begin, stop in _boxes(data, start, end):
        if kind != b"trak":
            continue
        track = {}
        if handler := _path(data, begin, stop, b"mdia", b"hdlr"):
            code = data[handler[0] + 8 : handler[0] + 12]
            track["type"] = _HANDLERS.get(code, code.decode("latin-1"))
        described = _path(data, begin, stop, b"mdia", b"minf", b"stbl", b"stsd")
        if described and described[0] + 16 <= described[1]:
            first = described[0] + 8  # past version, flags and the entry count
            track["codec"] = data[first + 4 : first + 8].decode("latin-1").strip()
        if track:
            tracks.append(track)
    return tracks


def _iso_media(file) -> dict:
    moov = _read_moov(file)
    if moov is None:
        return {}
    found: dict = {}
    if tracks := _tracks(moov, 0, len(moov)):
        found["tracks"] = tracks
    tags: dict = {}
    if user := _child(moov, 0, len(moov), b"udta"):
        for kind, begin, stop in _boxes(moov, *user):
            if kind[:1] == b"\xa9" and stop - begin >= 4:  # QuickTime text: length, language
                length = int.from_bytes(moov[begin : begin + 2], "big")
                text = moov[begin + 4 : begin + 4 + length].decode("utf-8", "replace")
                tags[kind.decode("latin-1")] = text
            elif kind == b"meta":
                tags.update(_meta(moov, begin, stop))
    if meta := _child(moov, 0, len(moov), b"meta"):
        tags.update(_meta(moov, *meta))
    for key in ("com.apple.quicktime.location.ISO6709", "\xa9xyz"):
        if isinstance(tags.get(key), str) and (place := _location(tags[key])):
            found["gps"] = place
            break
    if tags:
        found["tags"] = tags
    return found


# -- PDF --------------------------------------------------------------------------------------

_PDF_FIELDS = ("title", "author", "subject", "keywords", "creator", "producer")
_PDF_KEYS = {"/" + name.title() for name in _PDF_FIELDS} | {"/CreationDate", "/ModDate"}


def _pdf(file, size: int, media_type: str) -> dict:
    from pypdf import PdfReader

    if size > MAX_PDF_BYTES:
        return {"error": f"not read: PDF files over {MAX_PDF_BYTES >> 20} MB are not parsed"}
    reader = PdfReader(file, strict=False)
    found: dict = {"pdf_version": reader.pdf_header.removeprefix("%PDF-")}
    if reader.is_encrypted:
        found["encrypted"] = True
        try:  # many are encrypted only against editing, with an empty password to open
            reader.decrypt("")
        except Exception:
            found["error"] = "the PDF is encrypted: its metadata cannot be read"
            return found
    info = reader.metadata or {}
    for name in _PDF_FIELDS:
        found[name] = _safe(lambda name=name: getattr(info, name))
    for name, key in (
        ("creation_date", "creation_date"),
        ("modification_date", "modification_date"),
    ):
        found[name] = _safe(lambda key=key: getattr(info, key)) or _safe(
            lambda key=key: getattr(info, key + "_raw")
        )
    other = {}
    for key in list(info.keys())[:100]:
        if key not in _PDF_KEYS:
            other[str(key).lstrip("/")] = _safe(lambda key=key: info[key])
    found["other"] = other
    found["pages"] = _safe(lambda: len(reader.pages))
    return found


def _safe(read: Callable):
    try:
        return _json_ready(read())
    except Exception:
        return None


# -- extract ----------------------------------------------------------------------------------


def _reader_for(media_type: str) -> Callable | None:
    if media_type in _PILLOW_FORMATS:
        return _image
    if media_type.startswith(("video/", "audio/")):
        return _container
    if media_type == "application/pdf":
        return _pdf
    return None


def extract(blob: StoredBlob, media_type: str) -> dict:
    """What the file says about itself, as a JSON-ready dict ({} when there is nothing to
    read for its type). Never raises for a bad file: ``{"error": …}`` says what went wrong."""
    reader = _reader_for(media_type)
    if reader is None:
        return {}
    try:
        with blob_store().open_seekable(blob.name) as stored:
            found = reader(_Guarded(stored), blob.size, media_type)
    except _OverBudget as stop:
        return {"error": f"the metadata could not be read: the file {stop}"}
    except Exception as error:
        logger.info("metadata of a %s not read: %s", media_type, type(error).__name__)
        return {"error": f"the metadata could not be read ({type(error).__name__}: {error})"[:300]}
    return _json_ready(found)


# -- showing it -------------------------------------------------------------------------------

# What the common keys mean, for a member; any other key (an EXIF tag, a hachoir item) is shown
# as the file or the parser names it, marked as a technical name.
_LABELS = {
    "format": gettext_lazy("File format"),
    "width": gettext_lazy("Width (pixels)"),
    "height": gettext_lazy("Height (pixels)"),
    "exif": gettext_lazy("Camera data (EXIF)"),
    "gps": gettext_lazy("Location (GPS)"),
    "latitude": gettext_lazy("Latitude"),
    "longitude": gettext_lazy("Longitude"),
    "altitude": gettext_lazy("Altitude (m)"),
    "timestamp": gettext_lazy("Time (UTC)"),
    "duration": gettext_lazy("Duration (s)"),
    "creation_date": gettext_lazy("Created"),
    "modification_date": gettext_lazy("Modified"),
    "title": gettext_lazy("Title"),
    "author": gettext_lazy("Author"),
    "subject": gettext_lazy("Subject"),
    "keywords": gettext_lazy("Keywords"),
    "creator": gettext_lazy("Made with"),
    "producer": gettext_lazy("Produced by"),
    "pages": gettext_lazy("Pages"),
    "pdf_version": gettext_lazy("PDF version"),
    "encrypted": gettext_lazy("Encrypted"),
    "streams": gettext_lazy("Streams"),
    "compression": gettext_lazy("Codec"),
    "comment": gettext_lazy("Comment"),
    "other": gettext_lazy("Other"),
}


@dataclass(frozen=True)
class Shown:
    """One row of what a file says about itself: the path of keys, each a label in the
    reader's language or a technical name (``technical``), and the value as the file has it;
    ``failed`` when the row says the metadata could not be read (the value is then why)."""

    keys: tuple[tuple[str, bool], ...]  # (text, technical)
    value: str
    failed: bool = False


def shown(extracted: str) -> list[Shown]:
    """The rows to show for an item's ``extracted_metadata`` (JSON), in order."""
    import json

    if not extracted:
        return []
    try:
        found = json.loads(extracted)
    except ValueError:
        return []
    rows: list[Shown] = []

    def walk(path, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk((*path, key), inner)
        elif path == ("error",):
            rows.append(Shown(((str(gettext_lazy("Metadata")), False),), str(value), failed=True))
        else:
            keys = tuple((str(_LABELS[k]), False) if k in _LABELS else (str(k), True) for k in path)
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            rows.append(Shown(keys, text))

    walk((), found if isinstance(found, dict) else {"value": found})
    return rows
