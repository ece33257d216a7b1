"""What a file is comes from its bytes, not its name; only accepted types pass; images come out
without what they reveal (GPS, camera, comments), and image bombs are refused."""

import io
import struct
import zipfile
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from waystation.core.blobstore import LocalBlobStore
from waystation.core.media import (
    ACCEPTED,
    EXTENSIONS,
    MediaRefused,
    TextCheck,
    sniff,
    strip_metadata,
)


@pytest.fixture
def store(tmp_path):
    return LocalBlobStore(tmp_path / "blobs")


def _image(format_: str, size=(40, 20), mode="RGB", **options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 120).save(buffer, format_, **options)
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("payload.bin", b"\0" * 100_000)
    return buffer.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _ftyp(brand: bytes) -> bytes:
    return _box(b"ftyp", brand + b"\0\0\0\0" + brand + b"isom") + _box(b"mdat", b"\0" * 64)


def _ogg(codec_header: bytes) -> bytes:
    page = b"OggS\x00\x02" + b"\0" * 20 + b"\x01\x13"
    return page + codec_header + b"\0" * 40


ACCEPTED_SAMPLES = {
    "jpeg": (_image("JPEG"), "image/jpeg"),
    "png": (_image("PNG"), "image/png"),
    "webp": (_image("WEBP"), "image/webp"),
    "webp lossless": (_image("WEBP", lossless=True), "image/webp"),
    "gif": (_image("GIF"), "image/gif"),
    "pdf": (b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n%%EOF\n", "application/pdf"),
    "mp4": (_ftyp(b"isom"), "video/mp4"),
    "mp4 (mp42)": (_ftyp(b"mp42"), "video/mp4"),
    "mov": (_ftyp(b"qt  "), "video/quicktime"),
    "3gp": (_ftyp(b"3gp5"), "video/3gpp"),
    "m4a": (_ftyp(b"M4A "), "audio/mp4"),
    "opus": (_ogg(b"OpusHead\x01\x02"), "audio/ogg"),
    "vorbis": (_ogg(b"\x01vorbis\0\0"), "audio/ogg"),
    "mp3 with ID3": (b"ID3\x04\x00\x00\x00\x00\x01\x00" + b"\0" * 200, "audio/mpeg"),
    "mp3 frame": (b"\xff\xfb\x90\x64" + b"\0" * 400, "audio/mpeg"),
    "text": ("Свидетель: 12 марта, колонна\r\n\tдалее…\n".encode(), "text/plain"),
}


@pytest.mark.parametrize("kind", sorted(ACCEPTED_SAMPLES))
def test_accepted_types_are_told_by_their_bytes(kind):
    content, media_type = ACCEPTED_SAMPLES[kind]
    assert sniff(content) == media_type
    assert media_type in ACCEPTED and media_type in EXTENSIONS


REFUSED_SAMPLES = {
    "empty": b"",
    "zip": _zip(),
    "docx (a zip)": b"PK\x03\x04\x14\x00\x06\x00" + b"[Content_Types].xml" + b"\0" * 50,
    "windows executable": b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 100,
    "elf executable": b"\x7fELF\x02\x01\x01" + b"\0" * 100,
    "gzip": b"\x1f\x8b\x08\x00" + b"\0" * 40,
    "7z": b"7z\xbc\xaf\x27\x1c" + b"\0" * 40,
    "rar": b"Rar!\x1a\x07\x01\x00" + b"\0" * 40,
    "heic (ftyp, not a video)": _ftyp(b"heic"),
    "ogg with another codec": _ogg(b"\x80theora\0\0"),
    "text with NUL": b"hello\x00world",
    "text with escape codes": b"hello \x1b[31m red",
    "not UTF-8": "Свидетель".encode("cp1251"),
    "mp3 look-alike (layer II)": b"\xff\xfd\x90\x64" + b"\0" * 40,
    "bad ID3 size": b"ID3\x04\x00\x00\x80\x00\x00\x00" + b"\0" * 40,
}


@pytest.mark.parametrize("kind", sorted(REFUSED_SAMPLES))
def test_everything_else_is_refused(kind):
    assert sniff(REFUSED_SAMPLES[kind]) is None


def test_a_zip_is_refused_whatever_it_is_called_and_claims():
    # Names and Content-Type are not even inputs: only the bytes are.
    assert sniff(_zip()) is None
    assert sniff(_zip()[:8192]) is None


def test_text_split_inside_a_character_is_still_text():
    text = "Показания свидетеля ".encode() * 10
    head = text[:41]  # cut inside a two-byte letter
    assert sniff(head) == "text/plain"
    check = TextCheck()
    for i in range(0, len(text), 7):
        assert check.feed(text[i : i + 7])
    assert check.feed(b"", final=True)


def test_text_check_sees_binary_after_a_text_start():
    check = TextCheck()
    assert check.feed(b"plain words " * 1000)
    assert not check.feed(b"PK\x03\x04\x14\x00")
    assert not check.feed(b"more words")  # once refused, stays refused


def test_text_cut_off_inside_a_character_fails_at_the_end():
    check = TextCheck()
    assert check.feed("да".encode()[:-1])
    assert not check.feed(b"", final=True)


# -- stripping metadata -------------------------------------------------------------------------

GPS = {1: "N", 2: (55.0, 45.0, 12.5), 3: "E", 4: (37.0, 37.0, 1.0)}
SECRETS = [b"SecretCam", b"secret-comment", b"secret-xmp", b"secret-author"]


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the phone was held sideways
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.IFD.GPSInfo] = GPS
    return exif


def _srgb() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _photo_with_gps() -> bytes:
    picture = Image.new("RGB", (40, 20), (200, 30, 30))
    picture.paste((10, 10, 220), (0, 0, 10, 20))  # a blue left edge, to see the rotation
    buffer = io.BytesIO()
    picture.save(
        buffer,
        "JPEG",
        exif=_exif(),
        comment=b"secret-comment",
        icc_profile=_srgb(),
        xmp=b"<x:xmpmeta>secret-xmp</x:xmpmeta>",
    )
    return buffer.getvalue()


def _read(store, blob) -> bytes:
    return b"".join(store.open(blob.name))


def _assert_clean(data: bytes):
    for secret in SECRETS:
        assert secret not in data
    assert b"Exif\x00\x00" not in data and b"eXIf" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif()
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "Author"):
            assert key not in image.info


def test_a_photo_loses_gps_camera_comment_xmp_and_profile_but_stays_upright(store):
    original_bytes = _photo_with_gps()
    with Image.open(io.BytesIO(original_bytes)) as before:  # the test photo really has them
        assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)[2] == (55.0, 45.0, 12.5)
        assert {"xmp", "icc_profile", "comment"} <= set(before.info)
    original = store.put(io.BytesIO(original_bytes))

    clean = strip_metadata(original, "image/jpeg", store=store)

    assert clean.name != original.name
    data = _read(store, clean)
    _assert_clean(data)
    with Image.open(io.BytesIO(data)) as after:
        assert after.format == "JPEG"
        assert after.size == (20, 40)  # orientation 6 applied to the pixels
        top = after.convert("RGB").getpixel((10, 2))
        assert top[2] > 150 and top[0] < 100  # the blue edge is now on top
    assert _read(store, original) == original_bytes  # the caller decides about the original


@pytest.mark.parametrize("format_", ["PNG", "WEBP", "GIF"])
def test_other_images_lose_their_metadata_too(store, format_):
    options = {"exif": _exif()}
    if format_ == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Author", "secret-author")
        text.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret-xmp</x:xmpmeta>")
        options.update(pnginfo=text, icc_profile=_srgb())
    elif format_ == "WEBP":
        options.update(xmp=b"<x:xmpmeta>secret-xmp</x:xmpmeta>", icc_profile=_srgb())
    else:
        options = {"comment": b"secret-comment"}
    raw = _image(format_, **options)
    assert any(secret in raw for secret in SECRETS) or b"Exif" in raw
    media_type = sniff(raw)

    clean = strip_metadata(store.put(io.BytesIO(raw)), media_type, store=store)

    data = _read(store, clean)
    _assert_clean(data)
    assert sniff(data) == media_type


def test_a_zip_appended_to_a_photo_does_not_survive_cleaning(store):
    polyglot = _image("JPEG") + _zip()
    assert sniff(polyglot) == "image/jpeg"  # a JPEG, and a zip too
    assert zipfile.is_zipfile(io.BytesIO(polyglot))
    clean = strip_metadata(store.put(io.BytesIO(polyglot)), "image/jpeg", store=store)
    data = _read(store, clean)
    assert b"PK\x03\x04" not in data and not zipfile.is_zipfile(io.BytesIO(data))


def test_other_files_are_returned_as_they_are(store):
    pdf = store.put(io.BytesIO(b"%PDF-1.7\n/Author (someone)\n%%EOF\n"))
    assert strip_metadata(pdf, "application/pdf", store=store) is pdf
    video = store.put(io.BytesIO(_ftyp(b"isom")))
    assert strip_metadata(video, "video/mp4", store=store) is video


def _png_bomb(width: int, height: int) -> bytes:
    """A 1-bit PNG of width x height zero pixels: a few KiB that claim a huge picture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\0" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    compressed = b"".join(packer.compress(row * 500) for _ in range(height // 500))
    compressed += packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", compressed)
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8000, 8000),  # 64 megapixels: over our limit, under Pillow's own
        (20000, 20000),  # 400 megapixels: over Pillow's limit as well
    ],
)
def test_a_decompression_bomb_is_refused_before_it_is_decoded(store, width, height):
    bomb = _png_bomb(width, height)
    assert len(bomb) < 200_000 and sniff(bomb) == "image/png"
    stored = store.put(io.BytesIO(bomb))
    with pytest.raises(MediaRefused) as refused:
        strip_metadata(stored, "image/png", store=store)
    assert "too large to process" in refused.value.message
    assert "50 megapixels" in refused.value.message


def test_a_damaged_image_is_refused_with_a_message(store):
    fake = store.put(io.BytesIO(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20))
    with pytest.raises(MediaRefused, match="could not be read"):
        strip_metadata(fake, "image/jpeg", store=store)


def test_an_image_is_decoded_only_as_its_sniffed_type(store):
    png = store.put(io.BytesIO(_image("PNG")))
    with pytest.raises(MediaRefused, match="could not be read"):
        strip_metadata(png, "image/jpeg", store=store)


def test_the_limit_can_be_set_per_call(store):
    photo = store.put(io.BytesIO(_image("PNG", size=(3000, 1000))))  # 3 megapixels
    with pytest.raises(MediaRefused, match="more than 2 megapixels"):
        strip_metadata(photo, "image/png", store=store, max_pixels=2_000_000)
    assert strip_metadata(photo, "image/png", store=store).size > 0
