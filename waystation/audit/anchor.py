"""An anchor of the audit log: a small file stating the chain head (row count and MAC),
signed with this instance's Ed25519 key and, when time-stamping authorities are configured,
timestamped by them (RFC 3161). A coordinator keeps it outside the instance or sends it to a
partner; `audit verify --anchor FILE` later shows rows cut from the tail, or a head rewound
and the log rewritten from there, which the chain alone cannot show: whoever holds the keys
can recompute every MAC, but cannot make the log hold the anchored row again.

The file is JSON: ``statement`` (the text signed and stamped), ``signature`` (base64) and
``timestamps`` (each authority's token, base64, as ``openssl ts -verify -in`` reads it after
decoding)."""

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from waystation.core import signing, timestamps
from waystation.core.keys import digests_equal

from .models import AuditEvent

KIND = "waystation-audit-anchor"
_STATEMENT = re.compile(
    r"\AWaystation audit anchor\nat (?P<at>\S+)\naudit log row (?P<seq>\d+) MAC "
    r"(?P<mac>[0-9a-f]{64})\nsigning key (?P<key>\S+)\n\Z"
)


class AnchorError(Exception):
    """The anchor file cannot be used (unreadable, not signed by this instance), or the log
    no longer holds what it anchors; the message says which in one line."""


@dataclass(frozen=True)
class Anchor:
    seq: int
    mac: str
    at: datetime
    stamps: list[tuple[str, datetime]]  # authority, time it attests


def statement(seq: int, mac: str) -> str:
    return (
        f"Waystation audit anchor\nat {timezone.now().isoformat(timespec='seconds')}\n"
        f"audit log row {seq} MAC {mac}\nsigning key {signing.public_key_text()}\n"
    )


def make(seq: int, mac: str) -> tuple[bytes, list[str]]:
    """The anchor file for the head (``seq``, ``mac``), and the problems met asking the
    authorities (the anchor is written without their token then)."""
    text = statement(seq, mac)
    stamps, problems = [], []
    for url in timestamps.authorities():
        try:
            stamp = timestamps.request(url, text.encode())
        except timestamps.TimestampError as error:
            problems.append(f"{url}: {error.reason}")
            continue
        stamps.append(
            {
                "authority": url,
                "token": base64.b64encode(stamp.token).decode(),
                "stamped_at": stamp.stamped_at.isoformat(),
            }
        )
    document = {
        "kind": KIND,
        "statement": text,
        "signature": base64.b64encode(signing.sign(text.encode())).decode(),
        "timestamps": stamps,
    }
    return (json.dumps(document, indent=2) + "\n").encode(), problems


def read(data: bytes) -> Anchor:
    """The anchor in ``data``, its signature checked against this instance's key and each
    timestamp against the configured TSA chain; ``AnchorError`` says what is wrong."""
    try:
        document = json.loads(data)
        text, signature = document["statement"], base64.b64decode(document["signature"])
        tokens = document.get("timestamps") or []
    except (ValueError, KeyError, TypeError):
        raise AnchorError("not an anchor file written by `waystation audit anchor`") from None
    if not isinstance(document, dict) or document.get("kind") != KIND or not isinstance(text, str):
        raise AnchorError("not an anchor file written by `waystation audit anchor`")
    fields = _STATEMENT.match(text)
    if fields is None:
        raise AnchorError("the anchor's statement is not in the expected form")
    if fields["key"] != signing.public_key_text():
        raise AnchorError(f"the anchor was signed by another instance ({fields['key']})")
    try:
        signing.verify(fields["key"], signature, text.encode())
    except signing.BadSignature:
        raise AnchorError("the anchor's signature does not match: the file was changed") from None
    stamps = []
    for entry in tokens:
        try:
            token, authority = base64.b64decode(entry["token"]), str(entry["authority"])
            stamps.append((authority, timestamps.check(token, text.encode())))
        except (KeyError, TypeError, ValueError):
            raise AnchorError("a timestamp of the anchor cannot be read") from None
        except timestamps.TimestampError as error:
            raise AnchorError(f"the anchor's timestamp from {authority}: {error.reason}") from None
    return Anchor(
        seq=int(fields["seq"]),
        mac=fields["mac"],
        at=datetime.fromisoformat(fields["at"]),
        stamps=stamps,
    )


def check(anchor: Anchor, rows: int) -> None:
    """``AnchorError`` naming what happened when the log (``rows`` intact rows) no longer
    holds the anchored row as it was."""
    when = anchor.at.isoformat(timespec="seconds")
    mac = AuditEvent.objects.filter(seq=anchor.seq).values_list("mac", flat=True).first()
    if mac is None:
        raise AnchorError(
            f"the anchor of {when} names row {anchor.seq}, but the log ends at row {rows}: "
            f"rows {rows + 1}–{anchor.seq} were cut from the tail and the chain head rewound"
        )
    if not digests_equal(mac, anchor.mac):
        raise AnchorError(
            f"row {anchor.seq} is not the row anchored on {when}: the chain head was rewound "
            "and the log rewritten from there"
        )
