"""Telegram Desktop chat exports: the export folder (result.json and the media beside it),
received as a ZIP, or result.json alone.

The export stays the item's blob, untouched; ``parse()`` lists its messages so they can be
shown and searched. A ZIP is a chat export when it holds a ``result.json`` at its root or one
folder down (Telegram Desktop names the folder ``ChatExport_2024-05-01``, or
``DataExport_…`` for a full account export); a JSON file is one when it starts like a single
chat's result.json. Both layouts of result.json are read: one chat (``{"name", "type", "id",
"messages": […]}``) and a full export (``{"chats": {"list": [{…, "messages": […]}]}}``,
plus ``left_chats``), where each chat begins with a line ``[chat: name]``.

Each message becomes a ``ChatLine``: ``sent_at`` from ``date_unixtime`` (UTC; exports too old
to have it get None, as their "date" is in the exporting computer's unknown time zone),
``sender`` (``from``, or ``actor`` for a service message, else their ids), ``text`` flattened
from its string or list of strings and entities (a link's target kept after it), with what
a message carries besides text noted in brackets on lines of their own (forwarded from, a
location, a contact, a poll, a service action), and ``media``: the path of its photo or file
as result.json gives it, relative to result.json's folder ("" when the file was not
exported).

Untrusted input, so bounded: result.json may be ``MAX_RESULT_BYTES`` uncompressed (checked
against the ZIP's claim and again while reading), the ZIP may list ``MAX_MEMBERS`` files (in
``MAX_DIRECTORY_BYTES``), and messages are turned into lines as they are decoded rather than
kept as dicts (a 200 MB result.json still takes about 1 GB of memory while it is read).
Any fault raises ``ChatExportError`` with a message for the person: what is wrong, what to
do.
"""

import json
import lzma
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from waystation.core.blobstore import StoredBlob, blob_store
from waystation.core.refusals import Refusal

MAX_RESULT_BYTES = 200 << 20
MAX_MEMBERS = 100_000
MAX_DIRECTORY_BYTES = 64 << 20  # the ZIP's list of files; a real one takes ~150 bytes a file


class ChatExportError(Refusal):
    """The export cannot be read; the message says what is wrong and what to do, in the
    language active when it is read (``Refusal`` fills in the params then)."""


AGAIN = _("Export the chat again from Telegram Desktop, in the format “Machine-readable JSON”.")
NOT_JSON = _("result.json is not valid JSON (line %(line)s). %(again)s")
NOT_UTF8 = _("result.json is not UTF-8 text. %(again)s")
NO_MESSAGES = _(
    "result.json has no list of messages: it is not a Telegram Desktop chat export. %(again)s"
)
BAD_MESSAGE = _("Message %(id)s in result.json cannot be read: %(problem)s. %(again)s")
TOO_LARGE = _(
    "result.json is too large (more than %(limit)s). Export a shorter period of the chat, "
    "or send the export in parts."
)
TOO_MANY_FILES = _("The ZIP file holds more than %(limit)s files. Send the chat export in parts.")
DAMAGED_ZIP = _(
    "The ZIP file is damaged or incomplete. Zip the export folder again and send it once more."
)
PASSWORD_ZIP = _(
    "The ZIP file is protected with a password. Zip the export folder again without one: "
    "it is encrypted here anyway."
)
ODD_COMPRESSION = _(
    "result.json is compressed in a way that cannot be read here. Zip the export folder "
    "again with ordinary compression."
)
SEVERAL_EXPORTS = _(
    "The ZIP file holds more than one chat export (result.json). Send each export folder as "
    "a ZIP file of its own."
)
NO_RESULT = _(
    "The ZIP file holds no result.json. Send the whole export folder that Telegram Desktop "
    "made, zipped."
)

NOT_AN_OBJECT = _("it is not a JSON object")
BAD_TEXT = _("its text is neither text nor a list of text pieces")
BAD_DATE = _("its date_unixtime is not a time")
BAD_SENDER = _("its sender is not text")


@dataclass(frozen=True)
class ChatLine:
    position: int
    sent_at: datetime | None
    sender: str
    text: str
    media: str


# -- recognising an export --------------------------------------------------------------------

_TELEGRAM_FOLDER = re.compile(r"(?:Chat|Data)Export_\d{4}-\d{2}-\d{2}")
_CHAT_TYPE = re.compile(
    rb'"type"\s*:\s*"(?:personal_chat|bot_chat|saved_messages|replies|verification_codes|'
    rb'private_group|private_supergroup|public_supergroup|private_channel|public_channel)"'
)
_MESSAGES = re.compile(rb'"messages"\s*:\s*\[')
_DAMAGED = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError)


def _clean_name(name: str) -> str:
    return name.replace("\\", "/")  # some Windows zippers


def _result_members(names: list[str]) -> list[str]:
    """Every result.json at the root or one folder down, the root one first."""
    found = [n for n in names if _clean_name(n).split("/")[-1] == "result.json"]
    found = [n for n in found if _clean_name(n).count("/") <= 1]
    return sorted(found, key=lambda n: _clean_name(n).count("/"))


def _too_many_files(stored) -> bool | None:
    """Whether the ZIP's end record claims more than ``MAX_MEMBERS`` files, or a list of them
    (the central directory, which zipfile reads whole) over ``MAX_DIRECTORY_BYTES``: checked
    before zipfile builds that list. None when there is no end record: not a whole ZIP."""
    end_record = getattr(zipfile, "_EndRecData", None)
    if end_record is None:  # a future Python: zipfile's own list is then the check
        return False
    stored.seek(0)
    found = end_record(stored)
    if found is None:
        return None
    return (
        found[zipfile._ECD_ENTRIES_TOTAL] > MAX_MEMBERS
        or found[zipfile._ECD_SIZE] > MAX_DIRECTORY_BYTES
    )


def _first_member_name(stored) -> str:
    """The name in the ZIP's first local header: all that is left to go by when the end of
    the file (the central directory) is missing."""
    stored.seek(0)
    header = stored.read(30)
    if len(header) < 30 or not header.startswith(b"PK\x03\x04"):
        return ""
    return stored.read(int.from_bytes(header[26:28], "little")).decode("utf-8", "replace")


def _looks_like_telegram(name: str) -> bool:
    parts = _clean_name(name).split("/")
    return parts[-1] == "result.json" or bool(_TELEGRAM_FOLDER.match(parts[0]))


def is_chat_export(blob: StoredBlob, media_type: str) -> bool:
    """A ZIP holding a result.json at its root or one folder down (or, damaged or too big to
    list, one whose first file is in a folder named as Telegram names it: it is then refused
    by ``parse`` with the reason), or a JSON file that starts as a chat's result.json."""
    if media_type == "application/json":
        with blob_store().open_seekable(blob.name) as stored:
            head = stored.read(8192)
        return bool(_CHAT_TYPE.search(head) and _MESSAGES.search(head))
    if media_type != "application/zip":
        return False
    with blob_store().open_seekable(blob.name) as stored:
        try:
            if _too_many_files(stored) is False:
                stored.seek(0)
                with zipfile.ZipFile(stored) as archive:
                    return bool(_result_members(archive.namelist()))
        except _DAMAGED:
            pass
        return _looks_like_telegram(_first_member_name(stored))


# -- reading result.json ----------------------------------------------------------------------


def _limit() -> str:
    return filesizeformat(MAX_RESULT_BYTES)


def _too_many() -> ChatExportError:
    return ChatExportError(TOO_MANY_FILES, limit=number_format(MAX_MEMBERS, force_grouping=True))


def _result_json_from_zip(stored) -> bytes:
    try:
        too_many = _too_many_files(stored)
        if too_many is None:
            raise ChatExportError(DAMAGED_ZIP)
        if too_many:
            raise _too_many()
        stored.seek(0)
        archive = zipfile.ZipFile(stored)
    except _DAMAGED:
        raise ChatExportError(DAMAGED_ZIP) from None
    with archive:
        if len(archive.infolist()) > MAX_MEMBERS:
            raise _too_many()
        candidates = _result_members(archive.namelist())
        if not candidates:
            raise ChatExportError(NO_RESULT)
        at_root = [n for n in candidates if "/" not in _clean_name(n)]
        if len(at_root) != 1 and len(candidates) > 1:
            raise ChatExportError(SEVERAL_EXPORTS)
        info = archive.getinfo(candidates[0])
        if info.file_size > MAX_RESULT_BYTES:
            raise ChatExportError(TOO_LARGE, limit=_limit())
        if info.flag_bits & 0x1:
            raise ChatExportError(PASSWORD_ZIP)
        try:
            with archive.open(info) as member:
                data = member.read(MAX_RESULT_BYTES + 1)
        except NotImplementedError:
            raise ChatExportError(ODD_COMPRESSION) from None
        except RuntimeError:  # zipfile's word for "encrypted"
            raise ChatExportError(PASSWORD_ZIP) from None
        except _DAMAGED:  # a bad CRC, a stream cut off, lying sizes
            raise ChatExportError(DAMAGED_ZIP) from None
    if len(data) > MAX_RESULT_BYTES:
        raise ChatExportError(TOO_LARGE, limit=_limit())
    return data


def parse(blob: StoredBlob) -> list[ChatLine]:
    """The messages of a chat export (a ZIP or result.json alone), in order."""
    with blob_store().open_seekable(blob.name) as stored:
        if stored.read(2) == b"PK":
            data = _result_json_from_zip(stored)
        else:
            if stored.size > MAX_RESULT_BYTES:
                raise ChatExportError(TOO_LARGE, limit=_limit())
            stored.seek(0)
            data = stored.read(stored.size)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ChatExportError(NOT_UTF8, again=AGAIN) from None
    del data  # only the text is kept while it is decoded
    return _lines(_load(text))


def _load(text: str):
    try:
        # Messages become compact lines as they are decoded, not dicts kept to the end.
        return json.loads(text, object_hook=_compact)
    except json.JSONDecodeError as error:
        raise ChatExportError(NOT_JSON, line=error.lineno, again=AGAIN) from None
    except RecursionError:  # nested deeper than any export is
        raise ChatExportError(NO_MESSAGES, again=AGAIN) from None


def _chats(root) -> list[tuple[str | None, list]]:
    """(chat name, its messages) for each chat; the name is None for a single-chat export."""
    if not isinstance(root, dict):
        raise ChatExportError(NO_MESSAGES, again=AGAIN)
    if "messages" in root:
        if not isinstance(root["messages"], list):
            raise ChatExportError(NO_MESSAGES, again=AGAIN)
        return [(None, root["messages"])]
    if not isinstance(root.get("chats"), dict):
        raise ChatExportError(NO_MESSAGES, again=AGAIN)
    chats = []
    for section in ("chats", "left_chats"):
        listed = root.get(section, {"list": []})
        if not isinstance(listed, dict) or not isinstance(listed.get("list"), list):
            raise ChatExportError(NO_MESSAGES, again=AGAIN)
        for chat in listed["list"]:
            if not isinstance(chat, dict) or not isinstance(chat.get("messages"), list):
                raise ChatExportError(NO_MESSAGES, again=AGAIN)
            name = chat.get("name") if isinstance(chat.get("name"), str) else None
            chats.append((name or str(chat.get("id", "")), chat["messages"]))
    return chats


def _lines(root) -> list[ChatLine]:
    lines: list[ChatLine] = []
    for name, messages in _chats(root):
        if name is not None:
            lines.append(ChatLine(len(lines), None, "", f"[chat: {name}]", ""))
        for number, message in enumerate(messages, start=1):
            if isinstance(message, dict):
                message = _message(message, f"#{number}")
            if not isinstance(message, ChatLine):
                raise ChatExportError(
                    BAD_MESSAGE, id=f"#{number}", problem=NOT_AN_OBJECT, again=AGAIN
                )
            lines.append(replace(message, position=len(lines)))
    return lines


# -- one message ------------------------------------------------------------------------------


def _compact(found: dict):
    """json's object hook: a message, once decoded, is kept as a ChatLine (its position set
    later); every other object is left as it is."""
    if found.get("type") in ("message", "service") and "id" in found:
        return _message(found, str(found["id"]))
    return found


def _problem(ident: str, problem) -> ChatExportError:
    return ChatExportError(BAD_MESSAGE, id=ident, problem=problem, again=AGAIN)


def _flatten(text, ident: str) -> str:
    if isinstance(text, str):
        return text
    if not isinstance(text, list):
        raise _problem(ident, BAD_TEXT)
    pieces = []
    for piece in text:
        if isinstance(piece, str):
            pieces.append(piece)
            continue
        if not isinstance(piece, dict) or not isinstance(piece.get("text", ""), str):
            raise _problem(ident, BAD_TEXT)
        shown, href = piece.get("text", ""), piece.get("href")
        if isinstance(href, str) and href and href != shown:
            shown = f"{shown} ({href})"
        pieces.append(shown)
    return "".join(pieces)


def _sent_at(message: dict, ident: str) -> datetime | None:
    stamp = message.get("date_unixtime")
    if stamp is None:
        return None
    try:
        return datetime.fromtimestamp(int(stamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise _problem(ident, BAD_DATE) from None


def _sender(message: dict, ident: str) -> str:
    keys = ("actor", "actor_id") if message.get("type") == "service" else ("from", "from_id")
    for key in keys:
        value = message.get(key)
        if value is not None and not isinstance(value, str | int):
            raise _problem(ident, BAD_SENDER)
        if value not in (None, ""):
            return str(value)
    return ""


def _media(message: dict) -> str:
    """The relative path of the message's photo or file; "" when there is none, when the file
    was left out of the export (Telegram writes a note in brackets instead) or when the path
    tries to leave the export folder."""
    for key in ("photo", "file"):
        path = message.get(key)
        if not isinstance(path, str) or not path or path.startswith("("):
            continue
        clean = posixpath.normpath(_clean_name(path))
        if clean.startswith(("/", "../")) or clean == ".." or ":" in clean or "\x00" in clean:
            return ""
        return clean[:1000]
    return ""


def _notes(message: dict) -> list[str]:
    """What a message carries besides its text, for reading and searching."""
    notes = []
    if message.get("type") == "service":
        action = message.get("action")
        members = message.get("members")
        details = [message.get("title"), *(members if isinstance(members, list) else [])]
        details = [str(d) for d in details if isinstance(d, str | int) and d != ""]
        if isinstance(action, str):
            notes.append(f"[{action}{': ' if details else ''}{', '.join(details)}]")
    if isinstance(forwarded := message.get("forwarded_from"), str) and forwarded:
        notes.append(f"[forwarded from {forwarded}]")
    place = message.get("location_information")
    if isinstance(place, dict) and {"latitude", "longitude"} <= place.keys():
        named = [message.get(k) for k in ("place_name", "address")]
        named = [n for n in named if isinstance(n, str) and n]
        where = f"{place['latitude']}, {place['longitude']}"
        notes.append(f"[location: {' '.join([*named, where]) if named else where}]")
    contact = message.get("contact_information")
    if isinstance(contact, dict):
        who = [contact.get(k) for k in ("first_name", "last_name", "phone_number")]
        notes.append(f"[contact: {' '.join(str(w) for w in who if w)}]")
    poll = message.get("poll")
    if isinstance(poll, dict) and isinstance(poll.get("question"), str):
        answers = [a.get("text") for a in poll.get("answers") or [] if isinstance(a, dict)]
        answers = [a for a in answers if isinstance(a, str)]
        notes.append(f"[poll: {poll['question']}{' — ' if answers else ''}{' / '.join(answers)}]")
    return notes


# -- showing the notes ---------------------------------------------------------------------------
# The notes are stored in the message's text as written above ("[create_group: …]",
# "[forwarded from …]"): searchable, the same in every language. They are shown as sentences in
# the reader's language.

_ACTIONS = {
    "create_group": _("Group created"),
    "create_channel": _("Channel created"),
    "migrate_to_supergroup": _("Group converted to a supergroup"),
    "migrate_from_group": _("Converted from a group"),
    "invite_members": _("Members added"),
    "remove_members": _("Member removed"),
    "join_group_by_link": _("Joined through an invitation link"),
    "join_group_by_request": _("Joined after a request"),
    "edit_group_title": _("Group renamed"),
    "edit_group_photo": _("Group photo changed"),
    "delete_group_photo": _("Group photo removed"),
    "pin_message": _("Message pinned"),
    "phone_call": _("Call"),
    "group_call": _("Group call"),
    "invite_to_group_call": _("Invited to a group call"),
    "clear_history": _("History cleared"),
    "set_messages_ttl": _("Auto-delete timer changed"),
    "take_screenshot": _("Screenshot taken"),
    "contact_signup": _("Joined Telegram"),
    "topic_created": _("Topic created"),
    "topic_edit": _("Topic changed"),
}
_LABELS = {
    "chat": _("Chat"),
    "location": _("Location"),
    "contact": _("Contact"),
    "poll": _("Poll"),
}
_NOTE = re.compile(r"\[(?P<kind>[a-z_]+)(?:: (?P<details>.*))?\]", re.DOTALL)
_FORWARDED = re.compile(r"\[forwarded from (?P<details>.*)\]", re.DOTALL)


def _note_shown(line: str) -> str | None:
    """One note line as a sentence in the active language; None when it is not a note."""
    if found := _FORWARDED.fullmatch(line):
        return _("Forwarded from %(sender)s") % {"sender": found["details"]}
    found = _NOTE.fullmatch(line)
    if found is None:
        return None
    kind, details = found["kind"], found["details"]
    if kind in _LABELS:
        label = _LABELS[kind]
    elif kind in _ACTIONS:
        label = _ACTIONS[kind]
    else:  # an action newer than this list: named as Telegram names it
        label = _("Service message “%(action)s”") % {"action": kind}
    return f"{label}: {details}" if details else str(label)


def shown(text: str) -> tuple[str, list[str]]:
    """A stored message split for reading: its own text, and the notes at its end as
    sentences in the active language."""
    lines = text.split("\n")
    notes = []
    while lines and (note := _note_shown(lines[-1])) is not None:
        notes.insert(0, note)
        lines.pop()
    return "\n".join(lines), notes


def _message(message: dict, ident: str) -> ChatLine:
    if "text" in message:
        text = _flatten(message["text"], ident)
    else:
        text = _flatten(message.get("text_entities", ""), ident)
    text = "\n".join(part for part in [text, *_notes(message)] if part)
    return ChatLine(-1, _sent_at(message, ident), _sender(message, ident), text, _media(message))
