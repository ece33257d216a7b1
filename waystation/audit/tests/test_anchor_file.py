"""`audit anchor --out FILE` (issue 24): a signed, timestamped statement of the chain head.
An attacker with the passphrase cuts rows from the tail and rewinds the head (the chain that
is left verifies); `audit verify --anchor FILE` names it. So does a log rewound and written on
past the anchored row, a changed anchor file, and an anchor from another instance."""

import base64
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from waystation.audit import anchor as anchors
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.testing.tsa import LocalTSA

from .test_empty_and_anchor import _verify, _wipe

pytestmark = pytest.mark.django_db


@pytest.fixture
def tsa(settings, tmp_path):
    with LocalTSA(tmp_path) as running:
        settings.TIMESTAMP_AUTHORITIES = [running.url]
        settings.TIMESTAMP_CERTIFICATES = str(running.chain)
        yield running


def _rows(cast, n, start=0):
    for i in range(start, start + n):
        record(Event.LOGIN_SUCCEEDED, actor=cast["lawyer"], data={"n": i})


def test_an_anchor_file_finds_a_tail_cut_and_a_rewound_head(cast, capsys, tmp_path, tsa):
    _rows(cast, 6)
    path = tmp_path / "anchor.json"
    call_command("audit", "anchor", "--out", str(path))
    assert "anchor of row 6 written to" in capsys.readouterr().out
    document = json.loads(path.read_text())
    assert "audit log row 6 MAC " in document["statement"]
    (stamp,) = document["timestamps"]
    assert stamp["authority"] == tsa.url
    assert anchors.read(path.read_bytes()).stamps[0][0] == tsa.url
    token = bytearray(base64.b64decode(stamp["token"]))
    token[-10] ^= 0x01
    changed = {**document, "timestamps": [{**stamp, "token": base64.b64encode(token).decode()}]}
    refused = re.escape(f"timestamp from {tsa.url}: the token")
    with pytest.raises(anchors.AnchorError, match=refused):
        anchors.read(json.dumps(changed).encode())

    _rows(cast, 2, start=6)
    assert "audit log intact" in _verify(capsys, "--anchor", str(path))

    _wipe(keep=4)  # rows cut from the tail, the head rewound: the rest verifies
    assert "audit log intact" in _verify(capsys)
    with pytest.raises(CommandError, match=r"names row 6, but the log ends at row \d+: rows"):
        call_command("audit", "verify", "--anchor", str(path))

    _rows(cast, 5, start=100)  # written on past the anchored row: row 6 exists, but another
    with pytest.raises(CommandError, match=r"row 6 is not the row anchored on .*rewound"):
        call_command("audit", "verify", "--anchor", str(path))


def test_a_changed_or_foreign_anchor_is_refused(cast, capsys, tmp_path, settings):
    settings.TIMESTAMP_AUTHORITIES = []
    _rows(cast, 3)
    path = tmp_path / "anchor.json"
    call_command("audit", "anchor", "--out", str(path))
    document = json.loads(path.read_text())
    assert document["timestamps"] == []  # no TSA configured: signed only

    changed = tmp_path / "changed.json"
    changed.write_text(
        json.dumps({**document, "statement": document["statement"].replace("row 3 ", "row 2 ")})
    )
    with pytest.raises(CommandError, match="signature does not match: the file was changed"):
        call_command("audit", "verify", "--anchor", str(changed))

    foreign = tmp_path / "foreign.json"
    other_key = "ed25519:" + base64.b64encode(b"\x01" * 32).decode()
    text = document["statement"].rsplit("signing key ", 1)[0] + f"signing key {other_key}\n"
    foreign.write_text(json.dumps({**document, "statement": text}))
    with pytest.raises(CommandError, match="signed by another instance"):
        call_command("audit", "verify", "--anchor", str(foreign))

    with pytest.raises(CommandError, match="exists already"):
        call_command("audit", "anchor", "--out", str(path))
