"""Testimonies and items as members see them: who may read what, every read audited or
written into the chain of custody, files kept bit for bit, and tampering caught by verify."""

import hashlib
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from waystation.audit.events import Event as Audit
from waystation.audit.models import AuditEvent
from waystation.cases.tests.factories import make_case
from waystation.core.blobstore import blob_store
from waystation.evidence import services
from waystation.evidence.models import CustodyEntry, Item, Recipient, Testimony
from waystation.evidence.verify import verify_all

pytestmark = pytest.mark.django_db

STATEMENT = "On 14 March I saw four prisoners shot near the school in Posad-Pokrovske."


@pytest.fixture
def blobs(settings, tmp_path):
    root = tmp_path / "blobs"
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(root)}
    return root


@pytest.fixture
def witness(cast):
    return make_case(caseworker=cast["caseworker"], lawyer=cast["lawyer"])


@pytest.fixture
def testimony(cast, witness):
    return services.testimony_record(
        actor=cast["documentation_officer"],
        case=witness,
        statement=STATEMENT,
        language="Russian",
        consent_scope=[Recipient.UN, Recipient.COURT],
        consent_body="International Criminal Court, Office of the Prosecutor",
    )


def _ingest(cast, case, data: bytes, name="clip.mp4") -> Item:
    return services.item_ingest_stream(
        actor=cast["documentation_officer"],
        case=case,
        source=io.BytesIO(data),
        original_name=name,
    )


def _actions(item) -> list[str]:
    return list(item.custody.order_by("seq").values_list("action", flat=True))


# -- who sees what ----------------------------------------------------------------------------


def test_documentation_officer_reads_a_testimony_and_the_read_is_audited(client_for, testimony):
    page = client_for("documentation_officer").get(
        reverse("evidence:testimony", args=[testimony.pk])
    )
    assert page.status_code == 200 and STATEMENT in page.content.decode()
    assert "International Criminal Court" in page.content.decode()
    read = AuditEvent.objects.filter(event=Audit.TESTIMONY_READ).get()
    assert read.object_id == str(testimony.pk)
    assert STATEMENT not in repr(read.data)


@pytest.mark.parametrize("name", ["treasurer", "screener"])
def test_members_without_evidence_rights_are_refused(client_for, testimony, name):
    client = client_for(name)
    assert client.get(reverse("evidence:index")).status_code == 403
    assert client.get(reverse("evidence:testimony", args=[testimony.pk])).status_code == 403


def test_caseworker_of_another_case_sees_nothing_of_it(client_for, cast, testimony, blobs):
    from waystation.accounts.roles import Role
    from waystation.accounts.tests.factories import UserFactory

    item = _ingest(cast, testimony.case, b"a video\n")
    other = UserFactory(roles=[Role.CASEWORKER])
    client = client_for("caseworker")
    client.force_login(other)
    assert client.get(reverse("evidence:testimony", args=[testimony.pk])).status_code == 404
    assert client.get(reverse("evidence:item", args=[item.pk])).status_code == 404
    assert client.get(reverse("evidence:item_download", args=[item.pk])).status_code == 404
    listing = client.get(reverse("evidence:index") + "?tab=testimonies").content.decode()
    assert testimony.case.codename not in listing
    # The case's own caseworker reads it; events stay with those who document.
    own = client_for("caseworker")
    assert own.get(reverse("evidence:testimony", args=[testimony.pk])).status_code == 200
    assert own.get(reverse("evidence:event_new")).status_code == 403
    assert own.get(reverse("evidence:item_new")).status_code == 403


def test_a_statement_is_encrypted_and_fails_loudly_when_moved(cast, witness, testimony):
    from waystation.core.crypto import DecryptionError

    other = services.testimony_record(
        actor=cast["documentation_officer"], case=witness, statement="other", language="ru"
    )
    raw = bytes(Testimony.objects.filter(pk=testimony.pk).values_list("statement", flat=True)[0])
    assert b"prisoners" not in raw
    Testimony.objects.filter(pk=other.pk).update(statement=raw)
    with pytest.raises(DecryptionError):
        _ = Testimony.objects.get(pk=other.pk).statement


# -- items, custody ---------------------------------------------------------------------------


def test_an_uploaded_file_is_kept_bit_for_bit_and_every_look_is_in_its_custody(
    client_for, witness, blobs
):
    data = os.urandom(300_000)
    client = client_for("documentation_officer")
    response = client.post(
        reverse("evidence:item_new"),
        {
            "case": witness.codename.lower(),
            "kind": "",
            "acquired_on": "2026-11-20",
            "acquired_how": "in_person",
            "acquired_from": "the witness",
            "description": "Video from the phone",
            "files": [SimpleUploadedFile("VID_0007.mp4", data, "video/mp4")],
        },
    )
    item = Item.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "evidence:item", args=[item.pk]
    )
    assert item.sha256 == hashlib.sha256(data).hexdigest() and item.size == len(data)
    assert item.original_name == "VID_0007.mp4" and item.media_type == "application/octet-stream"
    page = client.get(reverse("evidence:item", args=[item.pk])).content.decode()
    assert item.sha256 in page
    download = client.get(reverse("evidence:item_download", args=[item.pk]))
    assert b"".join(download.streaming_content) == data
    assert 'filename="VID_0007.mp4"' in download["Content-Disposition"]
    assert _actions(item) == ["acquired", "hashed", "viewed", "copied"]
    assert list(verify_all()) == [None]


def test_a_bad_upload_keeps_the_form_and_stores_nothing(client_for, witness, blobs):
    client = client_for("documentation_officer")
    response = client.post(
        reverse("evidence:item_new"),
        {
            "case": "no-such-case-9",
            "acquired_on": "2026-11-20",
            "acquired_how": "in_person",
            "description": "kept text",
            "files": [SimpleUploadedFile("empty.bin", b"")],
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "No case with this codename." in body and "is empty (0 bytes)" in body
    assert "kept text" in body and Item.objects.count() == 0
    assert not [p for p in blobs.rglob("*") if p.is_file()]


def test_an_empty_upload_form_is_answered_with_what_is_missing(client_for, witness, blobs):
    response = client_for("documentation_officer").post(reverse("evidence:item_new"), {})
    assert response.status_code == 400  # was a server error: the errors went to an unbound form
    assert "Choose at least one file." in response.content.decode()


def test_the_forms_help_and_labels_are_in_the_readers_language(client_for):
    client = client_for("documentation_officer")
    client.cookies["ws_language"] = "ru"
    testimony = client.get(reverse("evidence:testimony_new")).content.decode()
    assert "Словами свидетеля, как он рассказал." in testimony
    assert "In the witness's words" not in testimony and "Never write" not in testimony
    event = client.get(reverse("evidence:event_new")).content.decode()
    assert "Perpetrators" not in event and "Description:" not in event


def test_verification_needs_a_reason_and_enters_the_chain(client_for, cast, witness, blobs):
    item = _ingest(cast, witness, b"scan of a military ID\n", "id.txt")
    client = client_for("documentation_officer")
    url = reverse("evidence:item_verification", args=[item.pk])
    refused = client.post(url, {"status": "verified", "reason": ""})
    assert refused.status_code == 400
    client.post(url, {"status": "corroborated", "reason": "Matches two other testimonies"})
    item.refresh_from_db()
    assert item.verification == "corroborated" and item.verified_by == cast["documentation_officer"]
    assert _actions(item)[-1] == "verified"
    assert (
        client_for("caseworker").post(url, {"status": "verified", "reason": "x"}).status_code == 403
    )


def test_verify_reports_a_flipped_byte_and_an_edited_custody_row(cast, witness, blobs, capsys):
    first = _ingest(cast, witness, os.urandom(3 << 20), "a.mp4")
    second = _ingest(cast, witness, b"chat log\n" * 1000, "b.txt")
    call_command("evidence", "verify")
    assert "2 items checked, no problems" in capsys.readouterr().out

    stored = blob_store()._path(first.blob)
    raw = bytearray(stored.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    stored.write_bytes(bytes(raw))
    CustodyEntry.objects.filter(item=second, seq=2).update(details={"sha256": "0" * 64})

    problems = [str(p) for p in verify_all() if p]
    assert any(str(first.pk) in p and "damaged" in p for p in problems)
    assert any(str(second.pk) in p and "entry 2" in p and "changed" in p for p in problems)
    with pytest.raises(CommandError, match="2 problems"):
        call_command("evidence", "verify")


def test_a_chain_rewritten_without_the_key_is_caught(cast, witness, blobs):
    from waystation.evidence import custody

    item = _ingest(cast, witness, b"photo\n")
    entry = item.custody.get(seq=1)
    entry.details = {"how": "public_source", "on": "2020-01-01"}
    entry.entry_hash = custody.link_hash(entry.previous_hash, entry)  # consistent, but no MAC
    CustodyEntry.objects.filter(pk=entry.pk).update(
        details=entry.details, entry_hash=entry.entry_hash
    )
    reasons = [p.reason for p in verify_all() if p]
    assert "not written by this instance" in reasons
    assert "does not follow the entry before" in reasons  # entry 2 pointed at the old hash


def test_a_multi_gigabyte_file_hashes_as_hashlib_does(cast, witness, blobs):
    """2 GiB made on the fly, never held in memory: the SHA-256 recorded (and shown) is
    hashlib's of the same bytes."""
    block = os.urandom(1 << 20)
    expected = hashlib.sha256()

    class Generated(io.RawIOBase):
        def __init__(self, blocks):
            self.left = blocks

        def readable(self):
            return True

        def read(self, size=-1):
            if not self.left:
                return b""
            self.left -= 1
            piece = self.left.to_bytes(8, "big") + block[8:]
            expected.update(piece)
            return piece

    item = services.item_ingest_stream(
        actor=cast["documentation_officer"],
        case=witness,
        source=Generated(2048),
        original_name="long.mp4",
    )
    assert item.size == 2 << 30
    assert item.sha256 == expected.hexdigest()
    assert item.custody.get(action="hashed").details["sha256"] == expected.hexdigest()


# -- testimonies, consent, events -------------------------------------------------------------


def test_testimony_form_keeps_what_was_typed_and_records_consent(client_for, cast, witness):
    client = client_for("documentation_officer")
    url = reverse("evidence:testimony_new")
    typed = {
        "case": witness.codename,
        "interviewed_on": "2026-11-20",
        "interviewer": cast["documentation_officer"].pk,
        "language": "Russian",
        "statement": STATEMENT,
        "consent_scope": ["court"],
        "consent_body": "",
    }
    refused = client.post(url, typed)
    assert refused.status_code == 400
    assert "Name the court or investigative body." in refused.content.decode()
    assert STATEMENT in refused.content.decode()
    done = client.post(url, {**typed, "consent_body": "Eurojust"})
    testimony = Testimony.objects.get()
    assert done["Location"] == reverse("evidence:testimony", args=[testimony.pk])
    assert testimony.terms.allows("court", "eurojust")
    assert not testimony.terms.allows("court", "Some other court")
    assert not testimony.terms.allows("media")


def test_a_testimony_about_an_event_needs_the_witness_role(client_for, cast, witness):
    event = services.event_record(
        actor=cast["documentation_officer"], act_type="looting", title="Looting of the school"
    )
    typed = {
        "case": witness.codename,
        "interviewed_on": "2026-11-20",
        "interviewer": cast["documentation_officer"].pk,
        "language": "Russian",
        "statement": STATEMENT,
        "event": event.pk,
    }
    client = client_for("documentation_officer")
    refused = client.post(reverse("evidence:testimony_new"), typed)
    assert refused.status_code == 400
    assert "Say what the witness&#x27;s role in this event was." in refused.content.decode()
    assert not Testimony.objects.exists()
    client.post(reverse("evidence:testimony_new"), {**typed, "role": "direct"})
    assert Testimony.objects.get().event_links.get().event == event


def test_withdrawn_consent_allows_nothing_and_is_audited(client_for, testimony):
    client = client_for("documentation_officer")
    client.post(
        reverse("evidence:testimony_consent", args=[testimony.pk]),
        {"consent_scope": ["un"], "consent_body": "", "withdraw": "on"},
    )
    testimony.refresh_from_db()
    assert testimony.consent_withdrawn and not testimony.terms.allows("un")
    changed = AuditEvent.objects.get(event=Audit.TESTIMONY_CONSENT_CHANGED)
    assert changed.data == {"scope": ["un"], "withdrawn": True}


def test_an_event_links_testimonies_and_items(client_for, cast, testimony, blobs):
    client = client_for("documentation_officer")
    response = client.post(
        reverse("evidence:event_new"),
        {
            "act_type": "execution_of_prisoners",
            "title": "Shooting of prisoners near the school",
            "date_from": "2026-03-14",
            "date_to": "2026-03-13",
            "date_certainty": "approximate",
            "place": "Posad-Pokrovske",
            "latitude": "46.85",
            "longitude": "",
            "victims_count": "4",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "The last day is before the first." in body and "Give both latitude" in body
    response = client.post(
        reverse("evidence:event_new"),
        {
            "act_type": "execution_of_prisoners",
            "title": "Shooting of prisoners near the school",
            "date_from": "2026-03-14",
            "date_certainty": "exact",
            "place": "Posad-Pokrovske",
            "victims_count": "4",
            "perpetrator_unit": "unit 0000",
        },
    )
    from waystation.evidence.models import Event

    event = Event.objects.get()
    client.post(
        reverse("evidence:testimony_event", args=[testimony.pk]),
        {"event": event.pk, "role": "direct"},
    )
    item = _ingest(cast, testimony.case, b"video\n")
    client.post(reverse("evidence:item_events", args=[item.pk]), {"events": [event.pk]})
    page = client.get(reverse("evidence:event", args=[event.pk])).content.decode()
    assert testimony.case.codename in page and "Direct witness" in page
    assert str(item.pk)[:8] in page


def test_the_web_package_holds_only_testimonies_within_consent(
    client_for, cast, testimony, blobs, tmp_path
):
    import zipfile

    import bagit

    scan = _ingest(cast, testimony.case, b"a scan\n", "scan.txt")
    services.item_set_origin(actor=cast["documentation_officer"], item=scan, origin="open")
    client = client_for("documentation_officer")
    url = reverse("evidence:export")
    refused = client.post(url, {"case": testimony.case.codename, "recipient": "court"})
    assert refused.status_code == 400 and "Name the court" in refused.content.decode()
    chosen = {"case": testimony.case.codename, "recipient": "media"}
    listed = client.post(url, {**chosen, "step": "preview"})
    assert listed.status_code == 200 and listed.get("Content-Type", "").startswith("text/html")
    page = listed.content.decode()
    assert f'value="{scan.pk}"' in page and f'value="{testimony.pk}"' not in page
    assert not AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORTED).exists()
    response = client.post(url, {**chosen, "step": "download", "items": [str(scan.pk)]})
    assert response["Content-Type"] == "application/zip"
    archive = tmp_path / "package.zip"
    archive.write_bytes(b"".join(response.streaming_content))
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(tmp_path / "out")
    (bag_dir,) = (tmp_path / "out").iterdir()
    bagit.Bag(str(bag_dir)).validate()
    assert STATEMENT not in (bag_dir / "data" / "testimonies.json").read_text()
    exported = AuditEvent.objects.get(event=Audit.EVIDENCE_EXPORTED)
    assert exported.data["recipient"] == "media"
    assert client_for("caseworker").get(url).status_code == 403


def test_ingest_from_the_command_line_prints_ids_and_hashes(cast, witness, blobs, tmp_path, capsys):
    first, second = tmp_path / "VID_1.mp4", tmp_path / "notes.txt"
    first.write_bytes(os.urandom(70_000))
    second.write_bytes("записи\n".encode())
    with pytest.raises(CommandError, match=r"missing\.txt: not a readable file"):
        call_command(
            "evidence",
            "ingest",
            str(first),
            str(tmp_path / "missing.txt"),
            "--case",
            witness.codename,
        )
    assert Item.objects.count() == 0  # every path is checked before the first is read
    call_command(
        "evidence",
        "ingest",
        str(first),
        str(second),
        "--case",
        witness.codename.upper(),
        "--how",
        "storage_medium",
        "--by",
        cast["documentation_officer"].username,
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    for line, path in zip(lines, (first, second), strict=True):
        item = Item.objects.get(pk=line.split()[0])
        assert f"sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}" in line
        assert item.original_name == path.name and item.acquired_how == "storage_medium"
        assert item.ingested_by == cast["documentation_officer"]
        assert item.original_modified is not None
    with pytest.raises(CommandError, match="no case has the codename"):
        call_command("evidence", "ingest", str(first), "--case", "nobody-here-1")
