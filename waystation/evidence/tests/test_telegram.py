"""Telegram Desktop chat exports: one item whose messages are listed and searchable, the ZIP
kept bit for bit; a malformed export refused with a plain reason and nothing half-ingested."""

import datetime
import hashlib
import io
import json
import zipfile

import pytest
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waystation.audit.events import Event as Audit
from waystation.audit.models import AuditEvent
from waystation.cases.tests.factories import make_case
from waystation.core.blobstore import blob_store
from waystation.evidence import services, telegram
from waystation.evidence.models import ChatMessage, CustodyEntry, Item, ItemKind
from waystation.evidence.selectors import chat_lines

pytestmark = pytest.mark.django_db

FOLDER = "ChatExport_2024-05-01"
PHOTO = "photos/photo_1@01-05-2024_12-05-00.jpg"
NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
UTC = datetime.UTC


def _message(id_, stamp, **fields):
    return {
        "id": id_,
        "type": "message",
        "date": datetime.datetime.fromtimestamp(stamp).isoformat(),
        "date_unixtime": str(stamp),
        **fields,
    }


START = 1714564800  # 2024-05-01 12:00:00 UTC
MESSAGES = [
    {
        "id": 1,
        "type": "service",
        "date": "2024-05-01T15:00:00",
        "date_unixtime": str(START),
        "actor": "Alice",
        "actor_id": "user111",
        "action": "create_group",
        "title": "Unit 00000 drivers",
        "members": ["Alice", "Борис"],
        "text": "",
        "text_entities": [],
    },
    _message(
        2,
        START + 60,
        **{"from": "Alice", "from_id": "user111", "text": "Meet at the school at noon"},
    ),
    _message(
        3,
        START + 120,
        **{
            "from": "Борис",
            "from_id": "user222",
            "text": [
                "The column went ",
                {"type": "bold", "text": "north"},
                " — see ",
                {"type": "text_link", "text": "the map", "href": "https://example.org/map"},
            ],
        },
    ),
    _message(
        4,
        START + 300,
        **{
            "from": "Alice",
            "from_id": "user111",
            "photo": PHOTO,
            "width": 1280,
            "height": 960,
            "text": "",
        },
    ),
    _message(
        5,
        START + 360,
        **{
            "from": None,  # a deleted account
            "from_id": "user333",
            "file": NOT_INCLUDED,
            "media_type": "video_file",
            "text": "the video from the checkpoint",
        },
    ),
    _message(
        6,
        START + 420,
        **{
            "from": "Борис",
            "from_id": "user222",
            "location_information": {"latitude": 47.2357, "longitude": 35.7046},
            "text": "",
        },
    ),
]
RESULT = {"name": "Unit 00000 drivers", "type": "private_group", "id": 4242, "messages": MESSAGES}


def _zip(members: dict, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _export(result=RESULT, *, folder=FOLDER) -> bytes:
    body = (
        result
        if isinstance(result, bytes)
        else json.dumps(result, ensure_ascii=False, indent=1).encode()
    )
    prefix = f"{folder}/" if folder else ""
    return _zip({f"{prefix}result.json": body, f"{prefix}{PHOTO}": b"\xff\xd8\xff\xe0 a photo"})


@pytest.fixture
def blobs(settings, tmp_path):
    root = tmp_path / "blobs"
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(root)}
    return root


@pytest.fixture
def officer(cast):
    return cast["documentation_officer"]


@pytest.fixture
def witness(cast):
    return make_case(caseworker=cast["caseworker"])


@pytest.fixture
def ingest(officer, witness, blobs):
    def run(data: bytes, name: str = "ChatExport.zip") -> Item:
        return services.item_ingest_stream(
            actor=officer, case=witness, source=io.BytesIO(data), original_name=name
        )

    return run


def _files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# -- a good export ----------------------------------------------------------------------------


def test_a_chat_export_is_one_item_with_its_messages(ingest):
    data = _export()
    item = ingest(data)
    assert (item.kind, item.media_type) == (ItemKind.CHAT_EXPORT, "application/zip")
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(blob_store().open(item.blob)) == data  # the ZIP itself, bit for bit
    lines = list(ChatMessage.objects.filter(item=item).order_by("position"))
    assert [line.position for line in lines] == [0, 1, 2, 3, 4, 5]
    assert [line.sender for line in lines] == [
        "Alice",
        "Alice",
        "Борис",
        "Alice",
        "user333",
        "Борис",
    ]
    assert lines[0].text == "[create_group: Unit 00000 drivers, Alice, Борис]"
    assert lines[1].text == "Meet at the school at noon"
    assert lines[2].text == "The column went north — see the map (https://example.org/map)"
    assert (lines[3].text, lines[3].media) == ("", PHOTO)
    assert (lines[4].text, lines[4].media) == ("the video from the checkpoint", "")
    assert lines[5].text == "[location: 47.2357, 35.7046]"
    assert lines[0].sent_at == datetime.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert lines[2].sent_at == datetime.datetime(2024, 5, 1, 12, 2, tzinfo=UTC)
    assert list(item.custody.values_list("action", flat=True)) == ["acquired", "hashed"]


def test_chat_messages_are_encrypted_at_rest(ingest):
    item = ingest(_export())
    raw = ChatMessage.objects.filter(item=item).values_list("sender", "text", "media")
    for sender, text, media in raw:
        for value in (sender, text, media):
            assert b"school" not in bytes(value) and "Борис".encode() not in bytes(value)


def test_chat_lines_finds_a_word_ignoring_case(ingest):
    item = ingest(_export())
    page = chat_lines(item, query="NORTH")
    assert page.count == 1 and [line.position for line in page.lines] == [2]
    found, count = chat_lines(item, query="борис")  # sender or text, in another case
    assert count == 3 and [line.position for line in found] == [0, 2, 5]
    assert [line.position for line in chat_lines(item, query="борис", offset=1, limit=1).lines] == [
        2
    ]
    assert chat_lines(item, query="nothing like this") == ([], 0)


def test_chat_lines_pages_without_a_query(ingest):
    item = ingest(_export())
    page = chat_lines(item, limit=2, offset=3)
    assert page.count == 6 and [line.position for line in page.lines] == [3, 4]
    assert chat_lines(item, query="   ").count == 6


def test_chat_lines_streams_rather_than_loading_every_message(ingest, monkeypatch):
    item = ingest(
        _export(
            {
                **RESULT,
                "messages": [_message(i, START + i, text=f"line {i}") for i in range(1, 1201)],
            }
        )
    )
    fetched = []
    real = ChatMessage.objects.filter(item=item).__class__.iterator

    def iterator(self, chunk_size=None):
        fetched.append(chunk_size)
        return real(self, chunk_size=chunk_size)

    monkeypatch.setattr(type(ChatMessage.objects.all()), "iterator", iterator)
    page = chat_lines(item, query="line 11", limit=5)
    assert fetched == [500]
    assert page.count == 111  # "line 11", "line 110".."line 119", "line 1100".."line 1199"
    assert [line.text for line in page.lines] == [
        "line 11",
        "line 110",
        "line 111",
        "line 112",
        "line 113",
    ]


def test_result_json_at_the_root_of_the_zip(ingest):
    item = ingest(_export(folder=""))
    assert item.kind == ItemKind.CHAT_EXPORT and item.chat_messages.count() == 6


def test_result_json_alone_is_a_chat_export(ingest):
    item = ingest(json.dumps(RESULT, indent=1).encode(), "result.json")
    assert (item.kind, item.media_type) == (ItemKind.CHAT_EXPORT, "application/json")
    assert item.chat_messages.count() == 6


def test_other_json_and_zips_are_not_chat_exports(ingest):
    other = ingest(json.dumps({"type": "FeatureCollection", "features": []}).encode(), "map.json")
    assert (other.kind, other.media_type) == (ItemKind.DOCUMENT, "application/json")
    archive = ingest(
        _zip({"photos/a.jpg": b"x", "deep/down/under/result.json": b"{}"}), "photos.zip"
    )
    assert (archive.kind, archive.media_type) == (ItemKind.OTHER, "application/zip")
    assert ChatMessage.objects.count() == 0


def test_an_html_export_is_kept_as_a_zip(ingest):
    """Telegram's other format, HTML, has no result.json to list: the ZIP is kept as it is."""
    data = _zip({f"{FOLDER}/messages.html": b"<html>", f"{FOLDER}/deeper/result.json": b"{}"})
    item = ingest(data)
    assert (item.kind, item.chat_messages.count()) == (ItemKind.OTHER, 0)


def test_parse_says_when_a_zip_holds_no_result_json(blobs):
    stored = blob_store().put(io.BytesIO(_zip({f"{FOLDER}/messages.html": b"<html>"})))
    with pytest.raises(telegram.ChatExportError, match=r"holds no result\.json"):
        telegram.parse(stored)


def test_a_damaged_zip_that_is_no_chat_export_is_kept_as_it_is(ingest):
    data = _zip({"scans/passport.jpg": b"\xff\xd8\xff" + bytes(3000)})[:-40]
    item = ingest(data, "scans.zip")
    assert (item.kind, item.media_type) == (ItemKind.OTHER, "application/zip")
    assert item.sha256 == hashlib.sha256(data).hexdigest()


def test_a_full_account_export_lists_every_chat(ingest):
    full = {
        "about": "Here is the data you requested.",
        "personal_information": {"first_name": "A"},
        "chats": {
            "about": "This page lists all chats from this export.",
            "list": [
                {**RESULT, "messages": MESSAGES[1:3]},
                {"name": "Mother", "type": "personal_chat", "id": 7, "messages": MESSAGES[3:4]},
            ],
        },
        "left_chats": {
            "about": "",
            "list": [{"name": None, "id": 9, "type": "private_group", "messages": []}],
        },
    }
    item = ingest(_export(full, folder="DataExport_2024-05-01"))
    texts = list(item.chat_messages.order_by("position").values_list("position", flat=True))
    lines = [chat_lines(item, limit=10).lines[i] for i in range(len(texts))]
    assert [line.text for line in lines] == [
        "[chat: Unit 00000 drivers]",
        "Meet at the school at noon",
        "The column went north — see the map (https://example.org/map)",
        "[chat: Mother]",
        "",
        "[chat: 9]",
    ]
    assert lines[0].sent_at is None and lines[4].media == PHOTO


def test_an_empty_chat_is_an_export_without_messages(ingest):
    item = ingest(_export({**RESULT, "messages": []}))
    assert item.kind == ItemKind.CHAT_EXPORT and item.chat_messages.count() == 0


def test_odd_but_harmless_messages_are_read(ingest):
    messages = [
        {
            "id": 1,
            "type": "message",
            "date": "2020-01-01T10:00:00",
            "from": "A",
            "text": "no unix time",
        },
        _message(
            2, START, **{"from": "A", "text_entities": [{"type": "plain", "text": "entities only"}]}
        ),
        _message(3, START, **{"from": "A", "photo": "../../etc/passwd", "text": "escape"}),
        _message(4, START, **{"from": 12345, "text": "numeric sender"}),
        {"id": 5, "type": "unsupported_new_kind", "date_unixtime": str(START), "text": "future"},
    ]
    item = ingest(_export({**RESULT, "messages": messages}))
    lines = list(item.chat_messages.order_by("position"))
    assert lines[0].sent_at is None and lines[0].text == "no unix time"
    assert lines[1].text == "entities only"
    assert lines[2].media == ""
    assert lines[3].sender == "12345"
    assert lines[4].text == "future"


# -- malformed exports: a plain reason, nothing kept ------------------------------------------


def _assert_nothing_kept(blobs):
    assert Item.objects.count() == 0
    assert ChatMessage.objects.count() == 0
    assert CustodyEntry.objects.count() == 0
    assert not AuditEvent.objects.filter(event=Audit.EVIDENCE_INGESTED).exists()
    assert _files(blobs) == []  # no blob, no spool file


def _with_central_field(data: bytes, offset: int, value: bytes) -> bytes:
    """``data`` with a field of result.json's central directory entry overwritten."""
    directory = data.index(b"PK\x01\x02")
    entry = data.rfind(b"PK\x01\x02", 0, data.index(b"result.json", directory))
    return data[: entry + offset] + value + data[entry + offset + len(value) :]


def _lying_size(data: bytes) -> bytes:
    return _with_central_field(data, 24, (100).to_bytes(4, "little"))  # uncompressed size


def _with_password_flag(data: bytes) -> bytes:
    return _with_central_field(data, 8, b"\x01\x00")


def _two_exports() -> bytes:
    body = json.dumps(RESULT).encode()
    return _zip({"ChatExport_1/result.json": body, "ChatExport_2/result.json": body})


MALFORMED = {
    "invalid-json": (
        _export(b'{\n "name": "x",\n "messages": [\n {oops'),
        "result.json is not valid JSON (line 4). Export the chat again from Telegram Desktop, "
        "in the format “Machine-readable JSON”.",
    ),
    "not-utf8": (_export(b'{"messages": ["\xff\xfe"]}'), "result.json is not UTF-8 text."),
    "messages-not-a-list": (
        _export({**RESULT, "messages": {"1": "hello"}}),
        "result.json has no list of messages: it is not a Telegram Desktop chat export.",
    ),
    "no-messages": (_export({"name": "x"}), "has no list of messages"),
    "top-level-list": (_export(b"[1, 2]"), "has no list of messages"),
    "text-is-a-number": (
        _export({**RESULT, "messages": [*MESSAGES, _message(7, START, text=42)]}),
        "Message 7 in result.json cannot be read: its text is neither text nor a list of text "
        "pieces.",
    ),
    "bad-entity": (
        _export(
            {**RESULT, "messages": [_message(8, START, text=["a", {"type": "bold", "text": 1}])]}
        ),
        "Message 8 in result.json cannot be read",
    ),
    "bad-date": (
        _export({**RESULT, "messages": [_message(9, START, text="x") | {"date_unixtime": "soon"}]}),
        "Message 9 in result.json cannot be read: its date_unixtime is not a time.",
    ),
    "message-not-an-object": (
        _export({**RESULT, "messages": [MESSAGES[1], "hello"]}),
        "Message #2 in result.json cannot be read: it is not a JSON object.",
    ),
    "truncated-zip": (_export()[:-200], "The ZIP file is damaged or incomplete."),
    "cut-in-half": (_export()[: len(_export()) // 2], "The ZIP file is damaged or incomplete."),
    "lying-size": (_lying_size(_export()), "The ZIP file is damaged or incomplete."),
    "password": (_with_password_flag(_export()), "The ZIP file is protected with a password."),
    "two-exports": (_two_exports(), "holds more than one chat export"),
    "bare-json-broken": (
        b'{"name": "x", "type": "personal_chat", "id": 1, "messages": [{"id": 1,',
        "result.json is not valid JSON (line 1).",
    ),
}


@pytest.mark.parametrize(("data", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_export_is_refused_and_nothing_is_kept(ingest, blobs, data, message):
    with pytest.raises(services.EvidenceError) as refused:
        ingest(data)
    assert message in str(refused.value)
    _assert_nothing_kept(blobs)


def test_a_zip_bomb_result_json_is_refused_before_it_is_unpacked(ingest, blobs, monkeypatch):
    """300 MB of JSON that zips to a few hundred kilobytes: refused on the size the ZIP
    declares, before a byte of it is inflated."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(f"{FOLDER}/result.json", "w", force_zip64=True) as member,
    ):
        member.write(b'{"messages": [')
        for _ in range(300):
            member.write(b" " * (1 << 20))
        member.write(b"]}")
    data = buffer.getvalue()
    assert len(data) < 2 << 20
    inflated = []
    real = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile, "open", lambda *a, **k: inflated.append(1) or real(*a, **k)
    )
    with pytest.raises(services.EvidenceError, match=r"result.json is too large \(more than 200.0"):
        ingest(data)
    assert inflated == []
    _assert_nothing_kept(blobs)


def test_a_result_json_over_the_limit_is_refused_while_reading(ingest, blobs, monkeypatch):
    monkeypatch.setattr(telegram, "MAX_RESULT_BYTES", 1000)
    with pytest.raises(services.EvidenceError, match="too large"):
        ingest(_export({**RESULT, "messages": MESSAGES * 10}))
    with pytest.raises(services.EvidenceError, match="too large"):
        ingest(json.dumps({**RESULT, "messages": MESSAGES * 10}).encode(), "result.json")
    _assert_nothing_kept(blobs)


@pytest.mark.parametrize(("limit", "value"), [("MAX_MEMBERS", 3), ("MAX_DIRECTORY_BYTES", 300)])
def test_a_zip_listing_too_many_files_is_refused(ingest, blobs, monkeypatch, limit, value):
    """Checked on the ZIP's end record, before zipfile reads its whole list of files."""
    monkeypatch.setattr(telegram, limit, value)
    members = {f"{FOLDER}/result.json": json.dumps(RESULT).encode()}
    members |= {f"{FOLDER}/photos/{i}.jpg": b"x" for i in range(5)}
    listed = []
    real = zipfile.ZipFile._RealGetContents
    monkeypatch.setattr(
        zipfile.ZipFile, "_RealGetContents", lambda self: listed.append(1) or real(self)
    )
    with pytest.raises(services.EvidenceError, match="The ZIP file holds more than"):
        ingest(_zip(members))
    assert listed == []
    _assert_nothing_kept(blobs)


def test_a_refused_export_leaves_a_blob_someone_else_holds(ingest, blobs, officer, witness):
    """Blobs are named by content: if the same bytes were stored already (kept as something
    else), refusing this ingest must not delete them."""
    data = MALFORMED["invalid-json"][0]
    stored = blob_store().put(io.BytesIO(data))
    with pytest.raises(services.EvidenceError):
        ingest(data)
    assert blob_store().exists(stored.name)
    assert Item.objects.count() == 0


# -- parse never fails with anything but ChatExportError --------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "type",
                    "text",
                    "from",
                    "date_unixtime",
                    "messages",
                    "chats",
                    "list",
                    "photo",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    root=_JSON,
    message_type=st.sampled_from(["message", "service", None]),
    text=_JSON,
    stamp=st.one_of(st.none(), st.integers(), st.text(max_size=12)),
)
def test_any_json_gives_lines_or_a_chat_export_error(root, message_type, text, stamp):
    shaped = {"messages": [{"id": 1, "type": message_type, "text": text, "date_unixtime": stamp}]}
    for candidate in (root, shaped, {"chats": {"list": [root]}}):
        try:
            lines = telegram._lines(telegram._load(json.dumps(candidate)))
        except telegram.ChatExportError as error:
            assert str(error)
        else:
            assert all(isinstance(line, telegram.ChatLine) for line in lines)


def test_what_a_message_carries_is_shown_in_the_readers_language(ingest, client_for):
    forwarded = _message(
        7,
        START + 480,
        **{"from": "Alice", "forwarded_from": "Командир", "text": "Сделано."},
    )
    item = ingest(_export({**RESULT, "messages": [*MESSAGES, forwarded]}))
    assert ChatMessage.objects.get(item=item, position=6).text == (
        "Сделано.\n[forwarded from Командир]"
    )  # stored the same in every language, and found by a search for the name
    client = client_for("documentation_officer")
    client.cookies["ws_language"] = "ru"
    page = client.get(reverse("evidence:item", args=[item.pk])).content.decode()
    assert "Группа создана: Unit 00000 drivers, Alice, Борис" in page
    assert "Переслано от: Командир" in page and "Местоположение: 47.2357, 35.7046" in page
    assert "[create_group" not in page and "forwarded from" not in page


def test_a_note_of_an_unknown_action_is_named_as_telegram_names_it():
    with translation.override("de"):
        assert telegram.shown("hello\n[boost_apply: 3]") == (
            "hello",
            ["Dienstnachricht „boost_apply“: 3"],
        )
        assert telegram.shown("[a line of his own]") == ("[a line of his own]", [])
