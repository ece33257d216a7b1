"""Images (JPEG, PNG, WebP, GIF, TIFF): size, EXIF tags by name and GPS in decimal degrees,
read by Pillow from the header only, never the pixels."""

import warnings

from PIL import ExifTags, Image

from waystation.core.media import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS

from .common import as_number, cut_text, json_ready

# -- images -----------------------------------------------------------------------------------

PILLOW_FORMATS = {
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
            return cut_text(bytes(value).decode("utf-16-le", "replace"))
        if tag == _USER_COMMENT and isinstance(value, bytes):
            codec = _COMMENT_CODES.get(value[:8])
            return cut_text(value[8:].decode(codec, "replace")) if codec else None
    except (ValueError, TypeError):
        return None
    return json_ready(value)


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
    parts = [as_number(part) for part in value]
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
    altitude = as_number(directory.get(6))
    if altitude is not None:
        ref = directory.get(5)
        below = ref in (1, b"\x01") or (isinstance(ref, bytes) and ref[:1] == b"\x01")
        found["altitude"] = -altitude if below else altitude
    day, clock = directory.get(29), directory.get(7)
    if isinstance(day, str) and isinstance(clock, tuple) and len(clock) == 3:
        hms = [as_number(part) for part in clock]
        if all(part is not None for part in hms):
            hours, minutes, seconds = hms
            found["timestamp"] = (
                f"{day.strip().replace(':', '-')}T"
                f"{int(hours):02d}:{int(minutes):02d}:{seconds:06.3f}Z".replace(".000Z", "Z")
            )
    for tag, value in directory.items():
        name = ExifTags.GPSTAGS.get(tag)
        if name and tag not in (1, 2, 3, 4, 5, 6, 7, 29):
            found[name] = json_ready(value)
    return found


def read_image(file, size: int, media_type: str) -> dict:
    if size > MAX_IMAGE_BYTES:
        return {"error": f"not read: image files over {MAX_IMAGE_BYTES >> 20} MB are not parsed"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's notes on odd files; none changes anything
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(file, formats=PILLOW_FORMATS[media_type])
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
