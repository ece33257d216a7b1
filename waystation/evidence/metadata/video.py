"""Video and audio: the container's items through hachoir, and for MP4 and QuickTime what
hachoir leaves out (codecs, tags, the recorded location) from the movie box."""

import io
import re
import struct

from hachoir.core import config as hachoir_config
from hachoir.core.log import log as hachoir_log
from hachoir.metadata import extractMetadata
from hachoir.metadata.metadata import MultipleMetadata
from hachoir.parser import guessParser
from hachoir.stream import InputIOStream

from .common import json_ready

# -- video and audio --------------------------------------------------------------------------


def _hachoir_items(metadata) -> dict:
    found = {}
    for item in metadata:
        if item.key in ("endian",) or not item.values:
            continue
        values = [json_ready(value.value) for value in item.values]
        found[item.key] = values[0] if len(values) == 1 else values
    return found


def read_container(file, size: int, media_type: str) -> dict:
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
