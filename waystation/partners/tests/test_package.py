"""Packages between two instances (``instances.here`` and ``instances.there``, each with its own
key ring, data directory and blob store): written by one, opened by the other, and refused
with their reasons when they are not what they claim."""

import hashlib
import io
import os
import tempfile
import tracemalloc
from pathlib import Path

import pytest

from waystation.accounts.policy import Perm, system_actor
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.core import keyslots
from waystation.core.keyring import KEYRING
from waystation.core.panic import destroy_keys
from waystation.partners import package as package_module
from waystation.partners.card import this_card
from waystation.partners.inbox import import_package, open_inbound
from waystation.partners.models import Inbound, Partner
from waystation.partners.package import PackageRefused, open_package, write_package
from waystation.partners.services import partner_add, partner_revoke
from waystation.testing.plugin import TEST_PASSPHRASE

ACTOR = system_actor("command.partners.test", Perm.PARTNERS_MANAGE)
MARKER = b"Marker-Osipov-Unit-40711"  # would be a name or a unit: must never be on disk in clear


def _card(instance):
    with instance:
        return this_card()


def _trust(instances, at, card, name):
    """At instance ``at``, add ``card`` as partner ``name``."""
    with at:
        return partner_add(
            actor=ACTOR, card_text=card.to_text(), name=name, fingerprint_compared=True
        )


@pytest.fixture
def pair(db, instances):
    """here and there know each other; elsewhere knows there, but there does not know it."""
    here_card, there_card = _card(instances.here), _card(instances.there)
    partners = {
        "there_at_here": _trust(instances, instances.here, there_card, "Tbilisi group"),
        "here_at_there": _trust(instances, instances.there, here_card, "Bishkek group"),
        # Not saved: the instances share the test database, where there's card is here's
        # partner already (one active partner per instance).
        "there_at_elsewhere": Partner(
            name="Them",
            signing_key=there_card.signing_key,
            age_recipient=there_card.age_recipient,
            instance_id=there_card.instance_id,
            fingerprint=there_card.fingerprint,
        ),
    }
    return instances, partners


def _send(at, partner, path: Path, *, files=(), kind="referral", manifest=None):
    with at:
        return write_package(
            path,
            partner=partner,
            kind=kind,
            manifest=manifest if manifest is not None else {"case": "amber-falcon-27"},
            files=files,
        )


def test_a_package_round_trips_between_two_instances(pair, tmp_path):
    instances, partners = pair
    video = os.urandom(3 * 1024 * 1024 + 17)
    out = tmp_path / "to-tbilisi.wsp"
    info = _send(
        instances.here,
        partners["there_at_here"],
        out,
        files=[
            ("case.json", b'{"summary": "needs a lawyer"}'),
            ("items/video.mp4", len(video), lambda: iter([video[:1000], video[1000:]])),
            ("items/empty", iter([])),
        ],
        manifest={"case": "amber-falcon-27", "message": "please help"},
    )
    assert info.size == out.stat().st_size
    assert info.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert out.read_bytes().startswith(b"age-encryption.org/v1\n")
    with instances.there:
        opened = open_package(out)
        assert opened.sender == partners["here_at_there"]
        assert opened.sender.name == "Bishkek group"
        assert (opened.package_id, opened.kind) == (info.package_id, "referral")
        assert opened.manifest == {"case": "amber-falcon-27", "message": "please help"}
        assert opened.names() == ["case.json", "items/video.mp4", "items/empty"]
        assert b"".join(opened.open("items/video.mp4")) == video
        assert b"".join(opened.open("case.json")) == b'{"summary": "needs a lawyer"}'
        assert b"".join(opened.open("items/empty")) == b""
        assert opened.files[1]["sha256"] == hashlib.sha256(video).hexdigest()


@pytest.mark.parametrize("where", [0.5, -40])
def test_a_changed_byte_is_refused_as_damaged(pair, tmp_path, where):
    instances, partners = pair
    out = tmp_path / "package.wsp"
    _send(instances.here, partners["there_at_here"], out, files=[("a", os.urandom(200_000))])
    raw = bytearray(out.read_bytes())
    raw[int(len(raw) * where) if where > 0 else where] ^= 0x01
    out.write_bytes(bytes(raw))
    with instances.there, pytest.raises(PackageRefused, match="damaged") as refused:
        open_package(out)
    assert refused.value.reason == "damaged"


def test_a_package_signed_by_another_key_than_the_senders_is_refused(pair, tmp_path, monkeypatch):
    """Anyone holding there's card can encrypt to it; only here's key signs as here."""
    instances, partners = pair
    here_card = _card(instances.here)
    out = tmp_path / "forged.wsp"
    monkeypatch.setattr(package_module, "this_card", lambda: here_card)  # claims to be here
    _send(instances.elsewhere, partners["there_at_elsewhere"], out, files=[("a", b"x")])
    monkeypatch.undo()
    with instances.there, pytest.raises(PackageRefused) as refused:
        open_package(out)
    assert refused.value.reason == "damaged"


def test_a_package_for_another_instance_is_refused(pair, tmp_path):
    instances, _partners = pair
    with instances.here:
        to_elsewhere = partner_add(
            actor=ACTOR,
            card_text=_card(instances.elsewhere).to_text(),
            name="Yerevan group",
            fingerprint_compared=True,
        )
    out = tmp_path / "for-yerevan.wsp"
    _send(instances.here, to_elsewhere, out)
    with instances.there, pytest.raises(PackageRefused) as refused:
        open_package(out)
    assert refused.value.reason == "not_for_us"
    assert "addressed to another Waystation" in str(refused.value)


def test_a_package_from_an_unknown_sender_is_refused(pair, tmp_path):
    instances, partners = pair
    out = tmp_path / "from-stranger.wsp"
    _send(instances.elsewhere, partners["there_at_elsewhere"], out)
    with instances.there, pytest.raises(PackageRefused) as refused:
        open_package(out)
    assert refused.value.reason == "unknown_sender"
    assert "not a known partner" in str(refused.value)


def test_a_revoked_senders_package_is_refused_with_the_date(pair, tmp_path):
    instances, partners = pair
    out = tmp_path / "late.wsp"
    _send(instances.here, partners["there_at_here"], out)
    with instances.there:
        revoked = partner_revoke(actor=ACTOR, partner=partners["here_at_there"])
        with pytest.raises(PackageRefused) as refused:
            open_package(out)
    assert refused.value.reason == "revoked"
    assert "Bishkek group, was revoked on" in str(refused.value)
    assert str(revoked.revoked_at.year) in str(refused.value)
    with instances.there, pytest.raises(PackageRefused, match="revoked"):
        write_package(io.BytesIO(), partner=revoked, kind="referral", manifest={})


def test_not_a_package_is_unreadable(pair, tmp_path):
    instances, _partners = pair
    out = tmp_path / "holiday.jpg"
    out.write_bytes(b"\xff\xd8\xff\xe0 not a package")
    with instances.there, pytest.raises(PackageRefused) as refused:
        open_package(out)
    assert refused.value.reason == "unreadable"


def test_import_queues_once_and_refuses_a_replay_writing_nothing(pair, tmp_path):
    instances, partners = pair
    out = tmp_path / "p.wsp"
    info = _send(instances.here, partners["there_at_here"], out, files=[("items/x", b"bytes of x")])
    with instances.there:
        inbound = import_package(actor=ACTOR, source=out)
        assert inbound.package_id == info.package_id and inbound.status == "queued"
        assert inbound.sender == partners["here_at_there"]
        stored = sorted(p for p in instances.there.blobs.rglob("*") if p.is_file())
        assert b"".join(open_inbound(inbound).open("items/x")) == b"bytes of x"
        with (
            out.open("rb") as again,
            pytest.raises(PackageRefused, match="already imported on") as refused,
        ):
            import_package(actor=ACTOR, source=again)
        assert refused.value.reason == "replay"
        assert Inbound.objects.count() == 1
        assert sorted(p for p in instances.there.blobs.rglob("*") if p.is_file()) == stored
        events = list(
            AuditEvent.objects.filter(
                event__in=[Event.PARTNER_PACKAGE_IMPORTED, Event.PARTNER_PACKAGE_REFUSED]
            ).order_by("seq")
        )
    assert [(e.event, e.data.get("reason")) for e in events] == [
        (Event.PARTNER_PACKAGE_IMPORTED, None),
        (Event.PARTNER_PACKAGE_REFUSED, "replay"),
    ]


def test_refused_imports_write_nothing_but_the_audit_row(pair, tmp_path):
    instances, partners = pair
    out = tmp_path / "stranger.wsp"
    _send(instances.elsewhere, partners["there_at_elsewhere"], out, files=[("a", b"a" * 5000)])
    with instances.there:
        with pytest.raises(PackageRefused, match="not a known partner"):
            import_package(actor=ACTOR, source=out)
        assert not Inbound.objects.exists()
        assert not [p for p in instances.there.blobs.rglob("*") if p.is_file()]
        assert AuditEvent.objects.filter(
            event=Event.PARTNER_PACKAGE_REFUSED, data__reason="unknown_sender"
        ).exists()


def _files_holding(root: Path, marker: bytes) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        try:
            if path.is_file() and marker in path.read_bytes():
                found.append(path)
        except OSError:  # a file another process removed meanwhile
            continue
    return found


def test_nothing_of_a_package_is_in_the_clear_on_disk(pair, tmp_path):
    instances, partners = pair
    out = tmp_path / "p.wsp"
    content = MARKER * 20_000
    _send(
        instances.here,
        partners["there_at_here"],
        out,
        files=[("items/statement.txt", content)],
        manifest={"case": MARKER.decode(), "message": MARKER.decode()},
    )
    with instances.there:
        inbound = import_package(actor=ACTOR, source=out)
        assert MARKER.decode() in inbound.manifest["message"]
        assert b"".join(open_inbound(inbound).open("items/statement.txt")) == content
        raw = Inbound.objects.filter(pk=inbound.pk).values_list("manifest_json", flat=True)[0]
        assert MARKER not in bytes(raw)
    for root in (Path(tempfile.gettempdir()), instances.here.data_dir, instances.there.data_dir):
        assert _files_holding(root, MARKER) == []


def _big_file(size: int, chunk: int = 1024 * 1024):
    block = hashlib.sha256(b"seed").digest() * (chunk // 32)
    for start in range(0, size, chunk):
        yield block[: min(chunk, size - start)]


def test_memory_stays_flat_for_a_100_mb_file(pair, tmp_path):
    instances, partners = pair
    size = 100 * 1024 * 1024
    out = tmp_path / "big.wsp"
    tracemalloc.start()
    try:
        _send(
            instances.here,
            partners["there_at_here"],
            out,
            files=[("items/video.mp4", size, lambda: _big_file(size))],
        )
        written_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        with instances.there:
            opened = open_package(out)
            opened_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            read = sum(len(chunk) for chunk in opened.open("items/video.mp4"))
            read_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.stat().st_size > size and read == size
    expected = hashlib.sha256()
    for chunk in _big_file(size):
        expected.update(chunk)
    assert opened.files[0]["sha256"] == expected.hexdigest()
    limit = 16 * 1024 * 1024
    assert max(written_peak, opened_peak, read_peak) < limit


def test_a_panic_destroys_the_card_keys(pair, tmp_path):
    instances, partners = pair
    out = tmp_path / "p.wsp"
    _send(instances.here, partners["there_at_here"], out)
    with instances.there:
        before = this_card()
        destroy_keys(instances.there.data_dir)
        assert KEYRING.sealed
        with pytest.raises(PackageRefused) as refused:
            open_package(out)
        assert refused.value.reason == "sealed"
        # The keys cannot come back: no passphrase opens the shredded slots.
        assert (
            keyslots.KeySlotFile.load(instances.there.data_dir).open(TEST_PASSPHRASE).master is None
        )
    assert before.fingerprint != this_card().fingerprint  # the suite's own instance again


def test_a_file_that_changes_size_while_written_stops_the_package(pair, tmp_path):
    instances, partners = pair
    out = tmp_path / "p.wsp"
    with pytest.raises(PackageRefused, match="changed while the package was written"):
        _send(instances.here, partners["there_at_here"], out, files=[("a", 10, lambda: [b"x" * 9])])
    assert not out.exists()  # no partial file left


def test_a_package_cut_short_is_refused_as_damaged(pair, tmp_path):
    instances, partners = pair
    out = tmp_path / "p.wsp"
    _send(instances.here, partners["there_at_here"], out, files=[("a", os.urandom(300_000))])
    out.write_bytes(out.read_bytes()[:-70_000])
    with instances.there, pytest.raises(PackageRefused) as refused:
        open_package(out)
    assert refused.value.reason == "damaged"
