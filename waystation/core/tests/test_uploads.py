"""Uploads go straight into the encrypted blob store as they arrive: nothing in the clear on
disk, refusals that keep the rest of the form, and no blob left behind by a refused, abandoned
or unclaimed upload. Also the push-style BlobWriter underneath."""

import gc
import hashlib
import io
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pytest
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import JsonResponse
from django.test import Client, RequestFactory
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image

from waystation.core.blobstore import BlobWriter, LocalBlobStore, blob_store
from waystation.core.media import strip_metadata
from waystation.core.uploads import (
    NAME_MAX_CHARS,
    EncryptingUploadHandler,
    display_name,
    received_files,
    use_encrypting_uploads,
)

# -- BlobWriter -------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path):
    return LocalBlobStore(tmp_path / "blobs")


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pieces=st.lists(st.binary(max_size=150), max_size=8))
def test_pieces_written_come_back_whole(store, monkeypatch, pieces):
    monkeypatch.setattr(LocalBlobStore, "chunk_bytes", 64)  # many chunk boundaries
    data = b"".join(pieces)
    with store.writer() as writer:
        for piece in pieces:
            writer.write(piece)
        stored = writer.finish()
    assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert b"".join(store.open(stored.name)) == data
    assert stored == store.put(io.BytesIO(data))  # one code path: the same blob


def test_a_finished_writer_says_whether_it_created_the_blob(store):
    first, second = store.writer(), store.writer()
    first.write(b"the same leaflet")
    second.write(b"the same leaflet")
    assert first.finish() == second.finish()
    assert first.created is True and second.created is False
    assert len(_files(store.root)) == 1


def test_abort_leaves_nothing(store):
    writer = store.writer()
    writer.write(os.urandom(3 << 20))  # several chunks already encrypted into the spool
    assert _files(store.root)  # the spool file
    writer.abort()
    writer.abort()  # twice is harmless
    assert _files(store.root) == []
    with pytest.raises(ValueError, match="aborted"):
        writer.write(b"more")
    with pytest.raises(ValueError, match="aborted"):
        writer.finish()


def test_leaving_a_with_block_or_dropping_a_writer_leaves_nothing(store):
    with pytest.raises(RuntimeError), store.writer() as writer:
        writer.write(b"half a file")
        raise RuntimeError("the client went away")
    assert _files(store.root) == []
    writer = store.writer()
    writer.write(os.urandom(2 << 20))
    del writer
    gc.collect()
    assert _files(store.root) == []


def test_the_spool_holds_ciphertext_only(store, monkeypatch):
    monkeypatch.setattr(LocalBlobStore, "chunk_bytes", 1024)
    monkeypatch.setattr(BlobWriter, "segment_bytes", 4096)  # written to disk every 4 KiB
    marker = b"witness: the convoy left at dawn. "
    writer = store.writer()
    for _ in range(400):
        writer.write(marker)
    writer._spool.flush()  # the write in flight has returned
    (spool,) = _files(store.root)
    raw = spool.read_bytes()
    assert len(raw) >= 8 * 1024 and marker[:12] not in raw
    stored = writer.finish()
    assert marker[:12] not in store._path(stored.name).read_bytes()


def test_memory_stays_flat_when_a_large_stream_arrives_in_pieces(store):
    piece = os.urandom(64 << 10)  # what Django hands an upload handler at a time
    tracemalloc.start()
    with store.writer() as writer:
        for _ in range(1024):  # 64 MiB
            writer.write(piece)
        stored = writer.finish()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert stored.size == 64 << 20
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MiB"


# -- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("C:report.pdf", "C_report.pdf"),
        ("scan\x00\x07\x1b[31m.pdf", "scan[31m.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # no right-to-left override
        ("line\nbreak\ttab  and   spaces.txt", "line break tab and spaces.txt"),
        ("  .hidden. ", "hidden"),
        ("Показания свидетеля.pdf", "Показания свидетеля.pdf"),
        ("نامه\u200cها.pdf", "نامه\u200cها.pdf"),  # the zero-width non-joiner is kept
        ("...", ""),
        ("\u202e\u200b", ""),
        (None, ""),
    ],
)
def test_names_are_made_safe_to_show(raw, shown):
    assert display_name(raw) == shown


def test_long_names_are_cut_keeping_the_extension():
    shown = display_name("a" * 500 + ".jpeg")
    assert len(shown) <= NAME_MAX_CHARS and shown.endswith("….jpeg")
    assert len(display_name("b" * 500)) <= NAME_MAX_CHARS


# -- uploads through a real request -----------------------------------------------------------

LIMIT = 64 * 1024
MAX_FILES = 3


@login_not_required
@csrf_exempt
def upload(request):
    use_encrypting_uploads(request, max_bytes=LIMIT, max_files=MAX_FILES)
    return _upload(request)


@csrf_protect
def _upload(request):
    files, refusals = received_files(request, "attachment")
    if request.POST.get("keep") == "yes":
        for received in files:
            received.keep()
    return JsonResponse(
        {
            "before": request.POST.get("before"),
            "after": request.POST.get("after"),
            "files": [
                {
                    "name": f.display_name,
                    "size": f.size,
                    "type": f.media_type,
                    "blob": f.blob.name,
                    "sha256": f.blob.sha256,
                }
                for f in files
            ],
            "refusals": refusals,
        }
    )


@login_not_required
def reads_post_first(request):
    request.POST.get("anything")
    use_encrypting_uploads(request, max_bytes=LIMIT, max_files=1)
    return JsonResponse({})


# The project's own URLs too: its error pages (the CSRF refusal) link to them.
urlpatterns = [
    path("upload/", upload),
    path("too-late/", reads_post_first),
    path("", include("waystation.urls")),
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def blobs(settings, tmp_path):
    root = tmp_path / "blobs"
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(root)}
    return root


def _jpeg(**options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 30)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def _zip() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.bin", b"\0" * 1_000_000)
    return buffer.getvalue()


def _post(client, files, **fields):
    """Fields in order: ``before``, the files, then ``after`` and the rest."""
    data = {"before": fields.pop("before", "typed before"), "attachment": files}
    data.update({"after": "typed after", **fields})
    response = client.post("/upload/", data)
    assert response.status_code == 200, response.content
    return response.json()


def _file(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_photo_is_received_by_its_bytes_not_its_name_or_content_type(blobs, db):
    photo = _jpeg()
    result = _post(Client(), [_file("holiday.exe", photo, "application/x-msdownload")], keep="yes")
    (received,) = result["files"]
    assert received["type"] == "image/jpeg" and received["name"] == "holiday.exe"
    assert received["size"] == len(photo)
    assert received["sha256"] == hashlib.sha256(photo).hexdigest()
    assert b"".join(blob_store().open(received["blob"])) == photo
    assert result["refusals"] == [] and result["before"] == "typed before"


def test_a_zip_called_jpg_is_refused_by_type_and_the_form_survives(blobs, db):
    result = _post(Client(), [_file("photo.jpg", _zip(), "image/jpeg")], keep="yes")
    assert result["files"] == []
    (message,) = result["refusals"]
    assert "“photo.jpg” is not a type of file accepted here" in message
    assert (result["before"], result["after"]) == ("typed before", "typed after")
    assert _files(blobs) == []


def test_an_empty_file_is_refused(blobs, db):
    result = _post(Client(), [_file("statement.txt", b"")], keep="yes")
    assert result["files"] == []
    assert result["refusals"] == ["“statement.txt” is empty (0 bytes) and was not received."]
    assert _files(blobs) == []


def test_a_file_over_the_limit_is_refused_and_everything_else_survives(blobs, db):
    big = b"%PDF-1.7\n" + b"x" * LIMIT
    good = b"%PDF-1.7\nsmall enough\n"
    result = _post(
        Client(), [_file("scan.pdf", big), _file("note.pdf", good)], keep="yes", message="hi"
    )
    assert result["refusals"] == ["“scan.pdf” is larger than 64.0\xa0KB and was not received."]
    assert [(f["name"], f["size"]) for f in result["files"]] == [("note.pdf", len(good))]
    assert (result["before"], result["after"]) == ("typed before", "typed after")
    # Only the file that was received is stored: the refused one's partial blob is gone.
    assert len(_files(blobs)) == 1


def test_a_file_of_exactly_the_limit_is_received(blobs, db):
    exact = b"%PDF-1.7\n" + b"x" * (LIMIT - 9)
    result = _post(Client(), [_file("exact.pdf", exact)])
    assert [f["size"] for f in result["files"]] == [LIMIT] and result["refusals"] == []


def test_one_file_too_many_is_refused(blobs, db):
    files = [_file(f"page{i}.txt", f"page {i}\n".encode()) for i in range(MAX_FILES + 1)]
    result = _post(Client(), files)
    assert [f["name"] for f in result["files"]] == ["page0.txt", "page1.txt", "page2.txt"]
    assert result["refusals"] == [
        "“page3.txt” was not received: at most 3 files can be sent at once."
    ]
    assert result["after"] == "typed after"


def test_text_that_turns_binary_after_its_start_is_refused(blobs, db):
    disguised = b"just a few words\n" * 600 + _zip()  # the zip starts after the sniffed head
    result = _post(Client(), [_file("notes.txt", disguised)], keep="yes")
    assert result["files"] == [] and "“notes.txt” is not a type" in result["refusals"][0]
    assert _files(blobs) == []
    text = "Показания: всё, что было.\n".encode() * 1000
    result = _post(Client(), [_file("notes.txt", text)])
    assert result["files"][0]["type"] == "text/plain" and result["refusals"] == []


def test_files_not_kept_by_the_view_are_deleted_at_the_end_of_the_request(blobs, db):
    result = _post(Client(), [_file("a.pdf", b"%PDF-1.7\nnot kept\n")])
    assert len(result["files"]) == 1  # it was received ...
    assert _files(blobs) == []  # ... and gone once the view did not keep it
    result = _post(Client(), [_file("a.pdf", b"%PDF-1.7\nkept\n")], keep="yes")
    assert blob_store().exists(result["files"][0]["blob"])


def test_an_upload_of_content_stored_before_does_not_delete_it(blobs, db):
    content = b"%PDF-1.7\nalready in the vault\n"
    earlier = blob_store().put(io.BytesIO(content))
    result = _post(Client(), [_file("again.pdf", content)])  # received, not kept
    assert result["files"][0]["blob"] == earlier.name
    assert blob_store().exists(earlier.name)


def test_the_same_file_twice_in_one_request_is_kept_if_one_copy_is(rf_request):
    content = b"%PDF-1.7\ntwice\n"
    request, handler = rf_request(
        [("attachment", "one.pdf", content), ("attachment", "two.pdf", content)]
    )
    files, _ = received_files(request, "attachment")
    assert files[0].blob == files[1].blob
    files[1].keep()
    request.close()
    assert handler.store.exists(files[0].blob.name)


def test_csrf_is_still_checked_and_a_refused_post_keeps_no_blob(blobs, db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/upload/", {"attachment": _file("a.pdf", b"%PDF-1.7\nx\n"), "keep": "yes"}
    )
    assert response.status_code == 403
    assert _files(blobs) == []


def test_installing_the_handler_after_the_body_was_read_is_an_error(blobs, db):
    with pytest.raises(ImproperlyConfigured, match="csrf_exempt"):
        Client().post("/too-late/", {"attachment": _file("a.pdf", b"%PDF-1.7\n")})


def test_received_files_needs_the_handler(rf):
    with pytest.raises(ImproperlyConfigured, match="use_encrypting_uploads"):
        received_files(rf.post("/", {"a": "b"}), "attachment")


# -- raw multipart: names a browser may send, and bodies cut off ------------------------------

BOUNDARY = "----waystation-test-boundary"


def _multipart(parts, *, close=True) -> bytes:
    body = b""
    for part in parts:
        if len(part) == 2:
            name, value = part
            body += (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + value.encode()
                + b"\r\n"
            )
        else:
            name, filename, content = part
            body += (
                f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
                f'name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode() + content
            body += b"\r\n"
    return body + (f"--{BOUNDARY}--\r\n".encode() if close else b"")


@pytest.fixture
def rf_request(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")

    def make(parts, *, close=True, max_bytes=LIMIT, max_files=MAX_FILES):
        request = RequestFactory().generic(
            "POST",
            "/",
            _multipart(parts, close=close),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        )
        handler = use_encrypting_uploads(
            request, max_bytes=max_bytes, max_files=max_files, store=store
        )
        return request, handler

    return make


def test_paths_and_control_characters_in_sent_names_are_removed(rf_request):
    pdf = b"%PDF-1.7\n"
    request, _ = rf_request(
        [
            ("attachment", "../../../etc/cron.d/evil.pdf", pdf + b"1"),
            ("attachment", "..\\..\\AppData\\evil.pdf", pdf + b"2"),
            ("attachment", "report\u202efdp.exe", pdf + b"3"),
            ("attachment", "tab\there\x1b.pdf", pdf + b"4"),
            ("attachment", " ... ", pdf + b"5"),
        ],
        max_files=5,
    )
    files, refusals = received_files(request, "attachment")
    assert [f.display_name for f in files] == [
        "evil.pdf",
        "evil.pdf",
        "reportfdp.exe",
        "tabhere.pdf",
        "unnamed.pdf",  # nothing left of the name: named by its type, not refused
    ]
    assert refusals == []


def test_an_upload_cut_off_midway_leaves_no_spool_file(rf_request, tmp_path):
    request, _ = rf_request(
        [("before", "typed"), ("attachment", "cut.pdf", b"%PDF-1.7\n" + os.urandom(20000))],
        close=False,
    )
    files, _ = received_files(request, "attachment")
    assert files == []
    assert _files(tmp_path / "blobs") == []


def test_a_request_that_fails_after_a_file_arrived_leaves_no_blob(rf_request, settings, tmp_path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    request, _ = rf_request(
        [("attachment", "a.pdf", b"%PDF-1.7\nreceived\n"), ("message", "x" * 5000)]
    )
    with pytest.raises(RequestDataTooBig):
        received_files(request, "attachment")
    assert _files(tmp_path / "blobs") == []


_written: list[str] | None = None


def _record_writes(event, args):
    """An audit hook (it cannot be removed, so it records only while a test asks it to):
    every file opened for writing, by open() or os.open()."""
    if _written is None or event != "open":
        return
    try:
        path, mode, flags = args
        writing = any(c in (mode or "") for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR)
        if writing and isinstance(path, str | bytes | os.PathLike):
            _written.append(os.path.abspath(os.fsdecode(path)))
    except Exception:  # noqa: S110 - a hook must never break the open() it watches
        pass


sys.addaudithook(_record_writes)


@pytest.fixture
def files_written():
    global _written
    _written = []
    yield _written
    _written = None


@pytest.fixture
def own_temp_dir(tmp_path, monkeypatch):
    """The temporary directory of the server under test (here, this process) for this test
    alone: what the request writes to a temporary file lands here, where the test may look,
    and not among other programs' files in the system temporary directory."""
    folder = tmp_path / "tmp"
    folder.mkdir(mode=0o700)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def test_nothing_in_the_clear_lands_on_disk(
    blobs, db, monkeypatch, files_written, own_temp_dir, busy_temp_dirs
):
    # Small chunks, so that the files really pass through the spool as ciphertext.
    monkeypatch.setattr(LocalBlobStore, "chunk_bytes", 4096)
    marker = b"Unit 3 crossed at the northern checkpoint on the 12th; ask for Oleh. "
    secret = b"%PDF-1.7\n" + marker * 800  # ~56 KiB
    too_big = b"%PDF-1.7\n" + marker * 1000  # refused after its first 64 KiB were encrypted
    started = time.time()
    result = _post(Client(), [_file("keep.pdf", secret), _file("big.pdf", too_big)], keep="yes")
    assert len(result["files"]) == 1 and len(result["refusals"]) == 1

    # Every file written while the request ran is in the blob store (blobs and spool) ...
    assert files_written, "the audit hook saw nothing: this test would prove nothing"
    assert all(Path(written).is_relative_to(blobs) for written in files_written), files_written
    # ... and neither there (the blobs and their spool) nor in the request's own temporary
    # directory is any of the text in the clear. Only directories this test owns are searched:
    # other programs come and go in the system's (busy_temp_dirs plays one).
    needle = marker[:24]
    looked_at = 0
    for place in (blobs, own_temp_dir):
        for file in _files(place):
            if file.stat().st_mtime >= started - 1:
                looked_at += 1
                assert needle not in file.read_bytes(), f"plaintext found in {file}"
    assert looked_at >= 1  # the stored blob, at least
    assert b"".join(blob_store().open(result["files"][0]["blob"])) == secret


def test_a_received_photo_is_cleaned_and_the_original_not_kept(blobs, db, rf_request):
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (55.0, 45.0, 12.5)}
    exif[ExifTags.Base.Make] = "SecretCam"
    request, handler = rf_request([("attachment", "IMG_0001.JPG", _jpeg(exif=exif))])
    (photo,), _ = received_files(request, "attachment")
    clean = strip_metadata(photo.blob, photo.media_type, store=handler.store)
    request.close()  # the end of the request: the original, with its GPS, is not kept
    assert not handler.store.exists(photo.blob.name)
    data = b"".join(handler.store.open(clean.name))
    assert b"SecretCam" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_a_handler_refuses_nonsense_limits():
    with pytest.raises(ValueError):
        EncryptingUploadHandler(max_bytes=0, max_files=1)
    with pytest.raises(ValueError):
        EncryptingUploadHandler(max_bytes=1, max_files=-1)
