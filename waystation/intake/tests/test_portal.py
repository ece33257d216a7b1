"""The portal as a requester uses it, through Django's test client: sending with files, the
refusals that keep what was typed, the codename, replies, deletion, rate limits, and what is
(not) kept about the visitor."""

import io
import re
import time

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from PIL import ExifTags, Image

from waystation.core import keys
from waystation.core.blobstore import blob_store
from waystation.intake import codenames, ratelimit, selectors, services
from waystation.intake.models import Attachment, IntakeRequest, Message
from waystation.intake.services import PORTAL

pytestmark = pytest.mark.django_db

VISITOR = {"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": "Mozilla/5.0 (Unique-Agent-7731)"}
TYPED = "Мне нужен адвокат в Алматы, срочно"


@pytest.fixture(autouse=True)
def _fresh_limits(monkeypatch):
    """Each test starts with full buckets (the limiter lives in the process's memory)."""
    monkeypatch.setattr(ratelimit, "LIMITER", ratelimit.RateLimiter())


@pytest.fixture
def blobs(settings, tmp_path):
    root = tmp_path / "blobs"
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(root)}
    return root


def _stored(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _visitor() -> Client:
    return Client(enforce_csrf_checks=True, **VISITOR)


def _csrf(client: Client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]


def _send(client: Client, *files, text=TYPED, **fields):
    data = {
        "csrfmiddlewaretoken": _csrf(client, reverse("intake:new")),
        "urgency": "transit",
        "country": "KZ",
        "city": "Алматы",
        "languages": "русский",
        "help_needed": ["lawyer", "housing"],
        "people_with": "1",
        "text": text,
        **fields,
        "files": list(files),
    }
    return client.post(reverse("intake:new"), data)


def _codename_in(response) -> str:
    return " ".join(re.findall(r'<li lang="en">([a-z-]+)</li>', response.content.decode()))


def _photo_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (55.0, 45.0, 12.5), 3: "E", 4: (37.0, 37.0, 1.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _file(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _blob_bytes(name: str) -> bytes:
    return b"".join(blob_store().open(name))


def _gps(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


# -- sending ----------------------------------------------------------------------------------


def test_a_request_with_a_photo_gives_a_codename_once_and_staff_get_a_clean_copy(blobs):
    client = _visitor()
    response = _send(client, _file("IMG_2041.jpg", _photo_with_gps(), "image/jpeg"))
    assert response.status_code == 200 and "Sent. This is your codename" in (
        response.content.decode()
    )
    words = _codename_in(response).split()
    assert len(words) == 7 and all(w in codenames.wordlist() for w in words)
    # Shown in that answer only: not kept in the session, not on the thread page.
    from django.contrib.sessions.models import Session

    stored = " ".join(repr(s.get_decoded()) + s.session_data for s in Session.objects.all())
    assert " ".join(words) not in stored and words[0] in codenames.wordlist()
    assert " ".join(words) not in client.get(reverse("intake:thread")).content.decode()

    request = IntakeRequest.objects.get()
    assert request.lookup != " ".join(words) and " ".join(words) not in request.lookup
    assert (request.urgency, request.country, request.city) == ("transit", "KZ", "Алматы")
    assert request.help_codes == ["housing", "lawyer"] and request.people_with == 1
    (attachment,) = Attachment.objects.all()
    assert attachment.name == "IMG_2041.jpg" and attachment.media_type == "image/jpeg"
    staff_copy = _blob_bytes(attachment.blob)
    assert _gps(staff_copy) == {} and b"SecretCam" not in staff_copy
    # Not kept as evidence: the original, GPS and all, is gone from the store.
    assert attachment.original_blob == ""
    assert len(_stored(blobs)) == 1


def test_the_original_photo_is_kept_only_when_the_requester_agrees(blobs):
    photo = _photo_with_gps()
    response = _send(_visitor(), _file("p.jpg", photo, "image/jpeg"), keep_originals="on")
    assert response.status_code == 200
    (attachment,) = Attachment.objects.all()
    assert _gps(_blob_bytes(attachment.blob)) == {}
    assert _blob_bytes(attachment.original_blob) == photo
    assert _gps(_blob_bytes(attachment.original_blob))[2] == (55.0, 45.0, 12.5)


def test_the_two_downloads_of_a_kept_photo_are_named_apart(blobs, client_for):
    _send(_visitor(), _file("gps.jpg", _photo_with_gps(), "image/jpeg"), keep_originals="on")
    (attachment,) = Attachment.objects.all()
    staff = client_for("coordinator")
    url = reverse("triage:attachment", args=[attachment.pk])
    clean = staff.get(url)
    original = staff.get(url, {"original": "1"})
    assert _gps(b"".join(clean.streaming_content)) == {}
    assert _gps(b"".join(original.streaming_content))
    assert clean["Content-Disposition"] == 'attachment; filename="gps (without metadata).jpg"'
    assert original["Content-Disposition"] == 'attachment; filename="gps (original).jpg"'
    staff.cookies["ws_language"] = "ru"
    russian = staff.get(url)["Content-Disposition"]
    assert "filename*=utf-8''" in russian and "gps%20%28%D0%B1%D0%B5%D0%B7" in russian


def _zip_bomb() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("payload.bin", b"\0" * 20_000_000)  # 20 MB in ~20 KB
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture: a decompression bomb."""
    import struct
    import zlib

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photos.zip", _zip_bomb(), "is not a type of file accepted"),
        ("photo.jpg", _zip_bomb(), "is not a type of file accepted"),
        ("setup.pdf", b"MZ\x90\x00" + b"\0" * 500, "is not a type of file accepted"),
        ("empty.jpg", b"", "is empty (0 bytes)"),
        ("big.txt", b"a" * (1024 * 1024 + 1), "is larger than 1.0"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"junk" * 400, "damaged or not really"),
        ("bomb.png", _png_claiming(40_000, 40_000), "too large to process"),
    ],
    ids=["zip", "zip-called-jpg", "program", "empty", "oversized", "damaged-image", "pixel-bomb"],
)
def test_a_refused_file_is_named_the_text_is_kept_and_nothing_is_written(
    blobs, settings, name, content, message
):
    settings.INTAKE_MAX_FILE_MB = 1
    upload = _file(name, content)
    response = _send(_visitor(), upload, text=TYPED)
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body and upload.name in body
    assert TYPED in body and 'value="Алматы"' in body  # what was typed comes back
    assert re.search(r'value="lawyer"[^>]*checked', body)
    assert "Choose the files again" in body
    assert IntakeRequest.objects.count() == 0 and Message.objects.count() == 0
    assert _stored(blobs) == []


def test_names_with_paths_and_control_characters_arrive_under_a_safe_name(blobs):
    """Django keeps only the last part of a sent path and drops unprintable characters before
    any handler sees the name; what remains is made safe to show (core/uploads.display_name)."""
    _send(
        _visitor(),
        _file("../../etc/passwd.txt", b"just text\n", "text/plain"),
        _file("scan\u202egpj.exe.txt", b"more text\n", "text/plain"),
    )
    names = sorted(a.name for a in Attachment.objects.all())
    assert names == ["passwd.txt", "scangpj.exe.txt"]


def test_too_many_files_are_refused_with_the_limit(blobs, settings):
    settings.INTAKE_MAX_FILES = 1
    response = _send(
        _visitor(), _file("a.txt", b"one\n", "text/plain"), _file("b.txt", b"two\n", "text/plain")
    )
    assert response.status_code == 400
    assert "“b.txt” was not received: at most 1 file can be sent at once." in (
        response.content.decode()
    )
    assert IntakeRequest.objects.count() == 0 and _stored(blobs) == []


def test_the_form_warns_never_to_write_routes():
    body = _visitor().get(reverse("intake:new")).content.decode()
    assert "Never write a route, a crossing point, or the names of people who helped you." in body


# -- codename, replies, deletion ---------------------------------------------------------------


def test_the_whole_cycle_reply_answer_and_delete_everything(blobs, cast):
    requester = _visitor()
    codename = _codename_in(_send(requester, _file("note.txt", b"my statement\n", "text/plain")))
    request = IntakeRequest.objects.get()
    services.staff_reply(actor=cast["coordinator"], request=request, text="Где вы сейчас?")

    later = _visitor()  # another day, another browser
    signed_in = later.post(
        reverse("intake:sign_in"),
        {
            "codename": codename.upper(),
            "csrfmiddlewaretoken": _csrf(later, reverse("intake:sign_in")),
        },
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == reverse("intake:thread")
    thread = later.get(reverse("intake:thread")).content.decode()
    assert "Где вы сейчас?" in thread and TYPED in thread

    token = _csrf(later, reverse("intake:thread"))
    answered = later.post(
        reverse("intake:reply"),
        {
            "csrfmiddlewaretoken": token,
            "text": "В Алматы, у друзей",
            "files": [_file("IMG.jpg", _photo_with_gps(), "image/jpeg")],
        },
    )
    assert answered.status_code == 302
    request.refresh_from_db()
    assert request.unread and request.messages.count() == 3
    assert len(_stored(blobs)) == 2

    confirm = later.get(reverse("intake:delete"))
    assert confirm.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', confirm.content.decode())[1]
    gone = later.post(reverse("intake:delete"), {"csrfmiddlewaretoken": token})
    assert gone.status_code == 200
    assert IntakeRequest.objects.count() == 0 and Message.objects.count() == 0
    assert Attachment.objects.count() == 0 and _stored(blobs) == []
    # The codename opens nothing any more, and the old session reads nothing.
    assert selectors.request_for_codename(codename) is None
    assert later.get(reverse("intake:thread"))["Location"] == reverse("intake:sign_in")


def test_a_refused_answer_keeps_its_text(blobs):
    client = _visitor()
    _send(client)
    token = _csrf(client, reverse("intake:thread"))
    response = client.post(
        reverse("intake:reply"),
        {"csrfmiddlewaretoken": token, "text": "Ответ", "files": [_file("x.zip", _zip_bomb())]},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "is not a type of file accepted" in body and "Ответ</textarea>" in body
    assert "Choose the files again" in body
    assert Message.objects.count() == 1


def _sign_in_page(codename: str) -> tuple[int, str]:
    client = _visitor()
    token = _csrf(client, reverse("intake:sign_in"))
    response = client.post(
        reverse("intake:sign_in"), {"codename": codename, "csrfmiddlewaretoken": token}
    )
    body = re.sub(r'value="[^"]*"', "", response.content.decode())  # the token, the typed words
    return response.status_code, body


def test_a_wrong_and_a_deleted_codename_look_and_take_the_same(blobs, monkeypatch):
    deleted_request, deleted = services.request_submit(actor=PORTAL, urgency="stable", text="x")
    services.request_delete_by_requester(actor=PORTAL, request=deleted_request)
    _kept, kept = services.request_submit(actor=PORTAL, urgency="stable", text="y")
    words = kept.split()
    wrong = " ".join([*words[:-1], "zebra" if words[-1] != "zebra" else "yodel"])

    assert _sign_in_page(wrong) == _sign_in_page(deleted)
    status, body = _sign_in_page(wrong)
    assert status == 400 and "These words do not open a request." in body

    # Both pay for the same slow hash (at its real cost here) once, and nothing else differs
    # but one indexed lookup.
    monkeypatch.setattr(keys, "insecure_kdf_allowed", lambda: False)
    hashed = []
    real_lookup = codenames.lookup
    monkeypatch.setattr(codenames, "lookup", lambda typed: hashed.append(1) or real_lookup(typed))
    timings = {"wrong": [], "deleted": []}
    for _round in range(7):
        for label, typed in (("wrong", wrong), ("deleted", deleted)):
            started = time.perf_counter()
            assert selectors.request_for_codename(typed) is None
            timings[label].append(time.perf_counter() - started)
    assert len(hashed) == 14
    # The fastest of each: what the work costs, with the machine's other load filtered out.
    wrong_best, deleted_best = min(timings["wrong"]), min(timings["deleted"])
    assert wrong_best > 0.005  # a real slow hash, not a dictionary lookup
    assert abs(wrong_best - deleted_best) < 0.3 * max(wrong_best, deleted_best)


# -- rate limits ------------------------------------------------------------------------------


def test_submissions_over_the_visitor_limit_are_refused_keeping_the_text(blobs, settings):
    settings.INTAKE_SUBMITS_PER_VISITOR = 2
    client = _visitor()
    assert [_send(client).status_code for _ in range(2)] == [200, 200]
    refused = _send(client, _file("a.txt", b"text\n", "text/plain"), text="третья просьба")
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Too many requests are arriving right now" in body and "третья просьба" in body
    assert IntakeRequest.objects.count() == 2
    assert Attachment.objects.count() == 0 and len(_stored(blobs)) == 0
    # Another visitor is not held back by this one.
    other = Client(REMOTE_ADDR="198.51.100.4")
    assert _send(other).status_code == 200


def test_an_empty_form_over_the_limit_is_refused_not_a_server_error(blobs, settings):
    settings.INTAKE_SUBMITS_PER_VISITOR = 1
    client = Client(**VISITOR)
    assert client.post(reverse("intake:new"), {}).status_code == 400  # empty, and counted
    refused = client.post(reverse("intake:new"), {})
    assert refused.status_code == 400
    assert "Too many requests are arriving right now" in refused.content.decode()


def test_the_overall_limit_holds_whatever_the_address(blobs, settings):
    settings.INTAKE_SUBMITS_PER_VISITOR = 0
    settings.INTAKE_SUBMITS_OVERALL = 3
    statuses = [_send(Client(REMOTE_ADDR=f"192.0.2.{n}")).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 400]


def test_codename_guessing_is_limited(settings):
    settings.INTAKE_LOGINS_PER_VISITOR = 3
    statuses = [_sign_in_page("a b c d e f g")[0] for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


# -- no traces --------------------------------------------------------------------------------


def _all_rows_as_text() -> str:
    """Every value of every row of every table, sessions decoded, as one string."""
    from django.contrib.sessions.models import Session

    parts = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        for row in model.objects.values_list():
            parts.append(repr(row))
    for session in Session.objects.all():
        parts.append(repr(session.get_decoded()))
    with connection.cursor() as cursor:  # the background tasks' table and any other
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the schema)
            parts.append(repr(cursor.fetchall()))
    return "\n".join(parts)


def test_no_address_or_user_agent_is_kept_or_logged(blobs, cast, caplog, settings):
    caplog.set_level("DEBUG")
    settings.INTAKE_SUBMITS_PER_VISITOR = 1
    requester = _visitor()
    codename = _codename_in(_send(requester, _file("p.jpg", _photo_with_gps(), "image/jpeg")))
    _send(requester)  # over the limit: refused, which must not log the address either
    services.staff_reply(actor=cast["coordinator"], request=IntakeRequest.objects.get(), text="ok")
    later = _visitor()
    later.post(
        reverse("intake:sign_in"),
        {"codename": codename, "csrfmiddlewaretoken": _csrf(later, reverse("intake:sign_in"))},
    )
    later.post(
        reverse("intake:reply"),
        {"csrfmiddlewaretoken": _csrf(later, reverse("intake:thread")), "text": "спасибо"},
    )
    everything = _all_rows_as_text()
    assert IntakeRequest.objects.count() == 1 and "спасибо" not in everything  # encrypted
    for trace in ("203.0.113.77", "Unique-Agent-7731", codename):
        assert trace not in everything
        assert trace not in caplog.text


def test_the_only_cookies_end_with_the_browser_session_and_are_strict():
    client = _visitor()
    _send(client)
    seen = {}
    for url in (reverse("intake:start"), reverse("intake:new"), reverse("intake:thread")):
        response = client.get(url)
        assert response["Cache-Control"].startswith("max-age=0")
        assert "script-src 'none'" in response["Content-Security-Policy"]
        seen.update(response.cookies)
    seen.update(_visitor().get(reverse("intake:new")).cookies)
    assert set(seen) <= {"ws_session", "ws_csrf"} and "ws_csrf" in seen
    for cookie in seen.values():
        assert cookie["samesite"] == "Strict" and cookie["httponly"]
        assert not cookie["expires"] and not cookie["max-age"]
