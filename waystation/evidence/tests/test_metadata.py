"""What an item says about itself: its type told from its bytes, EXIF and GPS of photos,
container metadata of video and audio, a PDF's info; read from the stored blob without
changing a byte of it, and never failing an ingest for a file whose metadata cannot be read."""

import datetime
import hashlib
import io
import json
import struct
import wave
import zipfile
import zlib

import pytest
from django.urls import reverse
from PIL import ExifTags, Image, ImageFile
from pypdf import PdfWriter

from waystation.cases.tests.factories import make_case
from waystation.core.blobstore import StoredBlob, blob_store
from waystation.evidence import metadata, services
from waystation.evidence.models import Item, ItemKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def blobs(settings, tmp_path):
    root = tmp_path / "blobs"
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(root)}
    return root


@pytest.fixture
def ingest(cast, blobs):
    case = make_case(caseworker=cast["caseworker"])

    def run(data: bytes, name: str = "file") -> Item:
        return services.item_ingest_stream(
            actor=cast["documentation_officer"],
            case=case,
            source=io.BytesIO(data),
            original_name=name,
        )

    return run


def _found(item: Item) -> dict:
    return json.loads(item.extracted_metadata) if item.extracted_metadata else {}


def _stored_files(root) -> dict:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _assert_kept_bit_for_bit(item: Item, data: bytes) -> None:
    assert item.sha256 == hashlib.sha256(data).hexdigest() and item.size == len(data)
    assert b"".join(blob_store().open(item.blob)) == data


# -- files ------------------------------------------------------------------------------------

GPS = {
    1: "N",
    2: (55.0, 45.0, 12.5),
    3: "E",
    4: (37.0, 37.0, 1.0),
    5: b"\x01",  # below sea level
    6: 12.5,
    7: (9.0, 30.0, 5.0),
    29: "2024:05:01",
    18: "WGS-84",
}


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Model] = "X1"
    exif[ExifTags.Base.Software] = "Camera 2.1"
    exif[ExifTags.Base.Orientation] = 6
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:05:01 12:30:00"
    exif[ExifTags.IFD.GPSInfo] = GPS
    return exif


def _image(pillow_format: str, size=(30, 20), **options) -> bytes:
    buffer = io.BytesIO()
    if pillow_format == "TIFF" and isinstance(options.get("exif"), Image.Exif):
        options["exif"] = options["exif"].tobytes()  # TIFF takes nested directories so only
    Image.new("RGB", size, (10, 120, 30)).save(buffer, pillow_format, **options)
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG header for a picture of any size, with almost no data: a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _wav(seconds: int = 2, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(b"\x00\x01" * rate * seconds)
    return buffer.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


_MATRIX = struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)


def _mp4(seconds=3, width=640, height=360, created=datetime.datetime(2024, 5, 1, 12, 0)) -> bytes:
    """The smallest MP4 a phone could have made: ftyp, moov (mvhd, one trak's tkhd), mdat."""
    mac = int((created - datetime.datetime(1904, 1, 1)).total_seconds())  # MP4's epoch
    mvhd = _box(
        b"mvhd",
        struct.pack(">I4I", 0, mac, mac, 1000, seconds * 1000)
        + struct.pack(">IH10x", 0x00010000, 0x0100)
        + _MATRIX
        + bytes(24)
        + struct.pack(">I", 2),
    )
    tkhd = _box(
        b"tkhd",
        struct.pack(">I5I", 3, mac, mac, 1, 0, seconds * 1000)
        + bytes(8)
        + struct.pack(">hhhH", 0, 0, 0, 0)
        + _MATRIX
        + struct.pack(">II", width << 16, height << 16),
    )
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    return ftyp + _box(b"moov", mvhd + _box(b"trak", tkhd)) + _box(b"mdat", bytes(64))


def _data(value: str) -> bytes:
    return _box(b"data", struct.pack(">II", 1, 0) + value.encode())


def _hdlr(code: bytes) -> bytes:
    return _box(b"hdlr", bytes(8) + code + bytes(12) + b"\x00")


def _trak(handler: bytes, codec: bytes) -> bytes:
    entry = _box(codec, bytes(8))
    stsd = _box(b"stsd", struct.pack(">II", 0, 1) + entry)
    minf = _box(b"minf", _box(b"stbl", stsd))
    return _box(b"trak", _box(b"mdia", _hdlr(handler) + minf))


def _phone_mp4(iso6709: str = "+48.8584+002.2945+035.000/") -> bytes:
    """An MP4 as phones and ffmpeg write them: two tracks with their codecs, the place in
    udta/©xyz (Android) and in QuickTime's mdta metadata (iPhone), the encoder in an ilst."""
    plain = _mp4(seconds=5)
    ftyp_end = struct.unpack(">I", plain[:4])[0]
    moov = plain[ftyp_end : -len(_box(b"mdat", bytes(64)))]
    xyz = b"+55.7558+037.6173/"
    udta = _box(
        b"udta",
        _box(b"\xa9xyz", struct.pack(">HH", len(xyz), 0x15C7) + xyz)
        + _box(
            b"meta",
            bytes(4) + _hdlr(b"mdir") + _box(b"ilst", _box(b"\xa9too", _data("Lavf60.3.100"))),
        ),
    )
    keys = [b"com.apple.quicktime.make", b"com.apple.quicktime.location.ISO6709"]
    meta = _box(
        b"meta",
        _hdlr(b"mdta")
        + _box(
            b"keys",
            struct.pack(">II", 0, len(keys)) + b"".join(_box(b"mdta", key) for key in keys),
        )
        + _box(
            b"ilst",
            _box((1).to_bytes(4, "big"), _data("Apple"))
            + _box((2).to_bytes(4, "big"), _data(iso6709)),
        ),
    )
    body = moov[8:] + _trak(b"vide", b"avc1") + _trak(b"soun", b"mp4a") + udta + meta
    return plain[:ftyp_end] + _box(b"mdat", bytes(2 << 20)) + _box(b"moov", body)


def _pdf(pages: int = 2, **info) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata(info)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF_INFO = {
    "/Title": "Order No. 17",
    "/Author": "Major Ivanov",
    "/Creator": "Microsoft Word",
    "/Producer": "Acrobat Distiller 9",
    "/CreationDate": "D:20240501123000+03'00'",
    "/ModDate": "D:20240502080000Z",
    "/Unit": "military unit 00000",
}


# -- what a file is ---------------------------------------------------------------------------


def _zip(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (_image("JPEG"), "image/jpeg"),
        (_image("PNG"), "image/png"),
        (_image("TIFF"), "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (_mp4(), "video/mp4"),
        (_wav(), "audio/wav"),
        (b"RIFF\x10\x00\x00\x00AVI LIST", "video/x-msvideo"),
        (b"fLaC\x00\x00\x00\x22", "audio/flac"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska"),
        (b"OggS\x00\x02" + bytes(22) + b"\x01\x1e\x80theora", "video/ogg"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "image/heif"),
        (_pdf(), "application/pdf"),
        (_zip(**{"a.txt": b"x"}), "application/zip"),
        (_zip(**{"[Content_Types].xml": b"<Types/>"}), "application/zip"),  # a DOCX
        (_odt(), "application/vnd.oasis.opendocument.text"),
        (
            b'{\n "name": "Unit chat",\n "type": "private_group",\n "messages": []}',
            "application/json",
        ),
        (b"[1, 2, 3]", "application/json"),
        ("Свидетельские показания\n".encode(), "text/plain"),
        (b"\x1f\x8b\x08\x00", "application/gzip"),
        (b"\x00\x01\x02\x03binary", "application/octet-stream"),
        (b"", "application/octet-stream"),
    ],
)
def test_media_type_is_told_from_the_content(head, expected):
    assert metadata.detect_media_type(head[: metadata.SNIFF_BYTES]) == expected


@pytest.mark.parametrize(
    ("media_type", "kind"),
    [
        ("video/x-matroska", ItemKind.VIDEO),
        ("image/heic", ItemKind.PHOTO),
        ("audio/wav", ItemKind.AUDIO),
        ("application/pdf", ItemKind.DOCUMENT),
        ("application/json", ItemKind.DOCUMENT),
        ("application/vnd.oasis.opendocument.text", ItemKind.DOCUMENT),
        ("application/zip", ItemKind.OTHER),
    ],
)
def test_kind_follows_the_media_type(media_type, kind):
    assert metadata.kind_for(media_type) == kind


# -- photos -----------------------------------------------------------------------------------


def test_photo_exif_and_gps_are_read_and_the_file_kept_bit_for_bit(ingest):
    data = _image("JPEG", exif=_exif())
    item = ingest(data, "IMG_0001.jpg")
    assert (item.kind, item.media_type) == (ItemKind.PHOTO, "image/jpeg")
    found = _found(item)
    assert (found["format"], found["width"], found["height"]) == ("JPEG", 30, 20)
    assert found["exif"] == {
        "Make": "SecretCam",
        "Model": "X1",
        "Software": "Camera 2.1",
        "Orientation": 6,
        "DateTimeOriginal": "2024:05:01 12:30:00",
    }
    gps = found["gps"]
    assert gps["latitude"] == pytest.approx(55 + 45 / 60 + 12.5 / 3600, abs=1e-6)
    assert gps["longitude"] == pytest.approx(37 + 37 / 60 + 1 / 3600, abs=1e-6)
    assert gps["altitude"] == -12.5
    assert gps["timestamp"] == "2024-05-01T09:30:05Z"
    assert gps["GPSMapDatum"] == "WGS-84"
    _assert_kept_bit_for_bit(item, data)


def test_southern_and_western_coordinates_are_negative(ingest):
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {1: "S", 2: (33.0, 52.0, 0.0), 3: "W", 4: (70.0, 30.0, 0.0)}
    found = _found(ingest(_image("JPEG", exif=exif)))
    assert found["gps"] == {"latitude": pytest.approx(-33.8666667), "longitude": -70.5}


@pytest.mark.parametrize("pillow_format", ["PNG", "WEBP", "TIFF"])
def test_other_image_formats_give_their_exif(ingest, pillow_format):
    data = _image(pillow_format, exif=_exif())
    found = _found(ingest(data))
    assert found["exif"]["Make"] == "SecretCam"
    assert found["gps"]["latitude"] == pytest.approx(55.7534722)


def test_reading_metadata_never_decodes_the_pixels(ingest, monkeypatch):
    def refuse(self):
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    for pillow_format in ("JPEG", "PNG"):
        assert _found(ingest(_image(pillow_format, exif=_exif())))["exif"]["Model"] == "X1"


def test_a_photo_without_exif_gives_its_size_only(ingest):
    assert _found(ingest(_image("JPEG"))) == {"format": "JPEG", "width": 30, "height": 20}


def test_an_image_bomb_is_kept_but_not_parsed(ingest):
    data = _png_claiming(100_000, 100_000)
    item = ingest(data)
    assert item.kind == ItemKind.PHOTO
    assert "image bomb" in _found(item)["error"]
    _assert_kept_bit_for_bit(item, data)


def test_a_picture_over_the_pixel_limit_gives_its_size_and_no_exif(ingest):
    found = _found(ingest(_png_claiming(8000, 8000)))  # 64 megapixels: over our 50
    assert (found["width"], found["height"]) == (8000, 8000)
    assert "pixels" in found["error"] and "exif" not in found


def test_an_image_file_over_the_size_limit_is_not_parsed(ingest, monkeypatch):
    monkeypatch.setattr(metadata.images, "MAX_IMAGE_BYTES", 100)
    assert "not read" in _found(ingest(_image("JPEG", exif=_exif())))["error"]


def test_a_damaged_photo_is_kept_with_the_reason(ingest):
    data = b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00garbage" + bytes(50)
    item = ingest(data, "broken.jpg")
    assert item.kind == ItemKind.PHOTO and "could not be read" in _found(item)["error"]
    _assert_kept_bit_for_bit(item, data)


# -- video and audio --------------------------------------------------------------------------


def test_wav_duration_and_format_are_read(ingest):
    data = _wav(seconds=2)
    item = ingest(data, "voice.wav")
    assert (item.kind, item.media_type) == (ItemKind.AUDIO, "audio/wav")
    found = _found(item)
    assert found["duration"] == 2
    assert (found["sample_rate"], found["nb_channel"], found["bits_per_sample"]) == (8000, 1, 16)
    assert "PCM" in found["compression"]
    _assert_kept_bit_for_bit(item, data)


def test_mp4_duration_date_and_size_are_read(ingest):
    data = _mp4(seconds=3, width=640, height=360)
    item = ingest(data, "clip.mp4")
    assert (item.kind, item.media_type) == (ItemKind.VIDEO, "video/mp4")
    found = _found(item)
    assert found["duration"] == 3
    assert found["creation_date"] == "2024-05-01T12:00:00"
    assert (found["width"], found["height"]) == (640, 360)
    _assert_kept_bit_for_bit(item, data)


def test_a_video_spanning_many_chunks_is_read_by_seeking(ingest):
    """The moov atom after 3 MiB of media: hachoir seeks past the mdat, so only the chunks
    at the start and the end are decrypted."""
    small = _mp4(seconds=7)
    ftyp_end = struct.unpack(">I", small[:4])[0]
    moov = small[ftyp_end : -len(_box(b"mdat", bytes(64)))]
    data = small[:ftyp_end] + _box(b"mdat", bytes(3 << 20)) + moov
    found = _found(ingest(data, "long.mp4"))
    assert found["duration"] == 7


def test_phone_video_codecs_tags_and_place_are_read(ingest):
    found = _found(ingest(_phone_mp4(), "VID_0001.mp4"))
    assert found["duration"] == 5  # from hachoir, as before
    assert found["tracks"] == [
        {"type": "video", "codec": "avc1"},
        {"type": "audio", "codec": "mp4a"},
    ]
    assert found["tags"] == {
        "©xyz": "+55.7558+037.6173/",
        "©too": "Lavf60.3.100",
        "com.apple.quicktime.make": "Apple",
        "com.apple.quicktime.location.ISO6709": "+48.8584+002.2945+035.000/",
    }
    assert found["gps"] == {"latitude": 48.8584, "longitude": 2.2945, "altitude": 35.0}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+55.7558+037.6173/", {"latitude": 55.7558, "longitude": 37.6173}),
        (
            "-33.8688+151.2093+058.0/",
            {"latitude": -33.8688, "longitude": 151.2093, "altitude": 58.0},
        ),
        ("+4851.50+00217.70/", {"latitude": 48.8583333, "longitude": 2.295}),  # ±DDMM.M
        ("+485130+0021742/", {"latitude": 48.8583333, "longitude": 2.295}),  # ±DDMMSS
        ("+95.0+010.0/", {}),
        ("nowhere", {}),
    ],
)
def test_iso6709_places(text, expected):
    assert metadata.video._location(text) == expected


def test_a_moov_box_too_big_to_read_is_left_out(ingest, monkeypatch):
    monkeypatch.setattr(metadata.video, "MAX_MOOV_BYTES", 100)
    found = _found(ingest(_phone_mp4()))
    assert "tags" not in found and "gps" not in found


def test_a_damaged_video_is_kept_with_the_reason(ingest):
    data = _mp4()[:60]
    item = ingest(data, "cut.mp4")
    assert item.kind == ItemKind.VIDEO
    assert "error" in _found(item) or "duration" not in _found(item)
    _assert_kept_bit_for_bit(item, data)


# -- PDF --------------------------------------------------------------------------------------


def test_pdf_info_and_page_count_are_read(ingest):
    data = _pdf(pages=2, **PDF_INFO)
    item = ingest(data, "order.pdf")
    assert (item.kind, item.media_type) == (ItemKind.DOCUMENT, "application/pdf")
    found = _found(item)
    assert found["title"] == "Order No. 17" and found["author"] == "Major Ivanov"
    assert (found["creator"], found["producer"]) == ("Microsoft Word", "Acrobat Distiller 9")
    assert found["creation_date"] == "2024-05-01T12:30:00+03:00"
    assert found["modification_date"].startswith("2024-05-02T08:00:00")
    assert found["other"] == {"Unit": "military unit 00000"}
    assert found["pages"] == 2
    _assert_kept_bit_for_bit(item, data)


def test_a_pdf_with_an_odd_date_keeps_the_text(ingest):
    found = _found(ingest(_pdf(**{"/CreationDate": "yesterday"})))
    assert found["creation_date"] == "yesterday"


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + b"garbage " * 50,
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>",
        _pdf(**PDF_INFO)[:200],
    ],
    ids=["garbage", "no-xref", "cut"],
)
def test_a_damaged_pdf_is_kept(ingest, data):
    item = ingest(data, "broken.pdf")
    assert item.kind == ItemKind.DOCUMENT
    assert isinstance(_found(item), dict)
    _assert_kept_bit_for_bit(item, data)


def test_a_parser_that_reads_too_much_is_stopped(ingest, monkeypatch):
    monkeypatch.setattr(metadata.common, "READ_BUDGET", 100)
    found = _found(ingest(_pdf(**PDF_INFO)))
    assert list(found) == ["error"] and "needed to read more than" in found["error"]


def test_a_parser_that_takes_too_long_is_stopped(ingest, monkeypatch):
    monkeypatch.setattr(metadata.common, "TIME_BUDGET", -1.0)
    assert "took longer" in _found(ingest(_wav()))["error"]


# -- never changing the original --------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [_image("JPEG", exif=_exif()), _wav(), _mp4(), _pdf(**PDF_INFO), _image("TIFF", exif=_exif())],
    ids=["jpeg", "wav", "mp4", "pdf", "tiff"],
)
def test_extracting_again_changes_nothing_stored(ingest, blobs, data):
    item = ingest(data)
    before = _stored_files(blobs)
    stored = StoredBlob(item.blob, item.size, item.sha256)
    again = metadata.extract(stored, item.media_type)
    assert again == _found(item) and "error" not in again
    assert _stored_files(blobs) == before  # the ciphertext too, byte for byte
    assert blob_store().verify(item.blob, hashlib.sha256(data).hexdigest())


def test_metadata_is_plain_json(ingest):
    for data in (_image("JPEG", exif=_exif()), _wav(), _mp4(), _pdf(**PDF_INFO)):
        raw = ingest(data).extracted_metadata
        json.loads(raw, parse_constant=lambda name: pytest.fail(f"{name} in the metadata"))


def test_a_missing_blob_gives_an_error_not_an_exception(blobs):
    found = metadata.extract(StoredBlob("0" * 64, 10, "0" * 64), "image/jpeg")
    assert "could not be read" in found["error"]


def test_the_item_page_names_the_metadata_in_the_readers_language(ingest, client_for):
    item = ingest(_image("JPEG", exif=_exif()), "IMG_0001.jpg")
    client = client_for("documentation_officer")
    client.cookies["ws_language"] = "ru"
    page = client.get(reverse("evidence:item", args=[item.pk])).content.decode()
    for label in ("Формат файла", "Ширина (пиксели)", "Данные камеры (EXIF)", "Широта"):
        assert label in page
    # The file's own names and words are shown as it has them, marked as such.
    assert "<code>Make</code>" in page and '<span translate="no">SecretCam</span>' in page
    assert ">format<" not in page and "exif ·" not in page
