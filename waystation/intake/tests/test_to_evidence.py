"""A requester's file taken into the evidence vault (issue 25): the sender's answers on the
portal, the original or the cleaned copy as consented, its SHA-256 that of the bytes sent, the
chain of custody starting at the portal, the terms the exit gate reads, refusals for members
without both roles, and the audit row."""

import hashlib
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import ExifTags, Image

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases import services as case_services
from waystation.core.blobstore import blob_store
from waystation.core.refusals import Forbidden
from waystation.evidence import gate
from waystation.evidence.models import CustodyAction, Item, ItemOrigin, Recipient
from waystation.intake import ratelimit, services
from waystation.intake.models import Attachment, IntakeRequest
from waystation.intake.services import PORTAL

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits(monkeypatch):
    monkeypatch.setattr(ratelimit, "LIMITER", ratelimit.RateLimiter())


@pytest.fixture(autouse=True)
def blobs(settings, tmp_path):
    root = tmp_path / "blobs"
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(root)}
    return root


def _box(kind: bytes, body: bytes) -> bytes:
    return (8 + len(body)).to_bytes(4, "big") + kind + body


def small_mp4() -> bytes:
    """A small ISO media file as a phone writes one: ftyp, a movie header, media data."""
    mvhd = _box(b"mvhd", bytes(4) + bytes(8) + (1000).to_bytes(4, "big") + bytes(84))
    return (
        _box(b"ftyp", b"isom" + bytes(4) + b"isomiso2avc1mp41")
        + _box(b"moov", mvhd)
        + _box(b"mdat", bytes(range(256)) * 16)
    )


def _photo_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (55.0, 45.0, 12.5), 3: "E", 4: (37.0, 37.0, 1.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _send(name: str, content: bytes, client=None, **fields) -> Attachment:
    """Send a request with one file through the portal, as a requester does."""
    before = list(Attachment.objects.values_list("pk", flat=True))
    client = client or Client(enforce_csrf_checks=True)
    page = client.get(reverse("intake:new"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    response = client.post(
        reverse("intake:new"),
        {
            "csrfmiddlewaretoken": token,
            "urgency": "transit",
            "text": "Я видел это сам",
            **fields,
            "files": [SimpleUploadedFile(name, content)],
        },
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    return Attachment.objects.exclude(pk__in=before).get()


def _converted(attachment: Attachment, coordinator):
    return services.request_convert_to_case(
        actor=coordinator, request=attachment.message.request, codename="quiet-heron-41"
    )


def test_the_portal_asks_each_use_with_nothing_ticked():
    page = Client().get(reverse("intake:new")).content.decode()
    assert "If you send files: may we pass them on to" in page
    for use in ("court", "un", "ngo", "media"):
        box = re.search(rf'<input[^>]*name="consent_scope" value="{use}"[^>]*>', page)[0]
        assert "checked" not in box
    assert "Keep my files untouched, as evidence" in page
    assert 'name="keep_originals"' in page and "checked" not in re.search(
        r'<input[^>]*name="keep_originals"[^>]*>', page
    )[0]


def test_the_answers_are_stored_with_the_file():
    attachment = _send(
        "VID_0001.mp4", small_mp4(), consent_scope=["court", "media"], keep_originals="on"
    )
    assert attachment.consent_asked and attachment.keep_original
    assert attachment.consent_scope == ["court", "media"]
    silent = _send("VID_0002.mp4", small_mp4() + b"2")
    assert silent.consent_asked and not silent.keep_original and silent.consent_scope == []


def test_a_consented_video_becomes_an_item_bit_for_bit_with_custody_from_the_portal(
    cast, client_for
):
    video = small_mp4()
    attachment = _send("VID_0001.mp4", video, consent_scope=["court"], keep_originals="on")
    case = _converted(attachment, cast["coordinator"])
    client = client_for("coordinator")

    page = client.get(reverse("triage:request", args=[attachment.message.request_id]))
    text = page.content.decode()
    assert "The sender agreed to pass it on to:" in text
    assert "Courts and international investigators" in text
    assert "The original may be kept as evidence." in text
    assert "Take into evidence" in text
    response = client.post(
        reverse("triage:to_evidence", args=[attachment.pk]), {"courts": "ICC OTP"}
    )
    item = Item.objects.get()
    assert response.status_code == 302 and response.url == reverse("evidence:item", args=[item.pk])

    # The very bytes the requester sent, never copied out of the store.
    assert item.case == case
    assert item.sha256 == hashlib.sha256(video).hexdigest()
    assert b"".join(blob_store().open(item.blob)) == video
    assert item.blob == attachment.blob and item.size == len(video)
    assert item.original_name == "VID_0001.mp4" and item.kind == "video"
    assert "the original" in item.description
    assert item.acquired_how == "intake" and item.acquired_on == attachment.message.sent_on

    chain = list(item.custody.order_by("seq"))
    assert [e.action for e in chain] == [
        CustodyAction.ACQUIRED,
        CustodyAction.HASHED,
        CustodyAction.ACQUIRED,
    ]
    assert chain[0].actor is None and chain[0].details["through"] == "portal"
    assert chain[0].details["on"] == attachment.message.sent_on.isoformat()
    assert chain[1].actor is None and chain[1].details["sha256"] == item.sha256
    assert chain[1].details["copy"] == "original"
    assert chain[2].actor == cast["coordinator"] and chain[2].details["taken_from"] == "intake"

    # The sender's answer is the item's terms: the named court, nothing else.
    assert item.origin == ItemOrigin.ORGANISATION
    assert item.terms_scope == ["court"] and item.terms_courts == ["ICC OTP"]
    icc = gate.preview(
        actor=cast["coordinator"], case=case, addressee=gate.Addressee.of("court", "ICC OTP")
    )
    assert icc.items == [item]
    media = gate.preview(
        actor=cast["coordinator"], case=case, addressee=gate.Addressee.of(Recipient.MEDIA)
    )
    assert media.items == []

    row = AuditEvent.objects.get(event=Event.EVIDENCE_INGESTED)
    assert row.actor == cast["coordinator"] and row.data["from_intake"] == str(attachment.pk)
    assert row.data["copy"] == "original"

    attachment.refresh_from_db()
    assert attachment.evidence_item == item.pk
    again = client.get(reverse("triage:request", args=[attachment.message.request_id]))
    assert "In the evidence vault" in again.content.decode()
    with pytest.raises(services.EvidenceTakeError):
        services.attachment_to_evidence(actor=cast["coordinator"], attachment=attachment)
    assert Item.objects.count() == 1


def test_without_consent_to_keep_it_a_photo_goes_in_as_the_cleaned_copy(cast):
    sent = _photo_with_gps()
    attachment = _send("gps.jpg", sent, consent_scope=["ngo"])
    _converted(attachment, cast["coordinator"])
    item = services.attachment_to_evidence(actor=cast["coordinator"], attachment=attachment)
    assert item.sha256 == attachment.sha256 != hashlib.sha256(sent).hexdigest()
    kept = b"".join(blob_store().open(item.blob))
    with Image.open(io.BytesIO(kept)) as image:
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "copy without its metadata" in item.description
    assert item.custody.get(seq=2).details["copy"] == "cleaned"
    assert item.terms_scope == ["ngo"] and item.terms_courts == []


def test_with_consent_a_photo_goes_in_as_the_original_sent(cast):
    sent = _photo_with_gps()
    attachment = _send("gps.jpg", sent, keep_originals="on")
    _converted(attachment, cast["coordinator"])
    item = services.attachment_to_evidence(actor=cast["coordinator"], attachment=attachment)
    assert item.sha256 == hashlib.sha256(sent).hexdigest()
    assert b"".join(blob_store().open(item.blob)) == sent
    # Nothing ticked: kept as evidence, but it may go to no one.
    assert item.origin == ItemOrigin.ORGANISATION and item.terms_scope == []
    court = gate.preview(
        actor=cast["coordinator"], case=item.case, addressee=gate.Addressee.of("court", "ICC")
    )
    assert court.items == []


def test_a_video_whose_sender_did_not_agree_is_refused_and_nothing_written(cast, client_for):
    attachment = _send("VID.mp4", small_mp4(), consent_scope=["court"])
    _converted(attachment, cast["coordinator"])
    response = client_for("coordinator").post(
        reverse("triage:to_evidence", args=[attachment.pk]), {"courts": "ICC OTP"}
    )
    assert response.status_code == 400
    assert "did not agree to keep this file as evidence" in response.content.decode()
    assert not Item.objects.exists()
    assert not AuditEvent.objects.filter(event=Event.EVIDENCE_INGESTED).exists()


def test_consent_to_courts_needs_a_court_named(cast, client_for):
    attachment = _send("VID.mp4", small_mp4(), consent_scope=["court"], keep_originals="on")
    _converted(attachment, cast["coordinator"])
    response = client_for("coordinator").post(
        reverse("triage:to_evidence", args=[attachment.pk]), {"courts": " "}
    )
    assert response.status_code == 400
    assert "name at least one court or investigative body" in response.content.decode()
    assert not Item.objects.exists()


def test_a_request_not_yet_a_case_goes_into_a_case_named_by_codename(cast):
    attachment = _send("VID.mp4", small_mp4(), keep_originals="on")
    with pytest.raises(services.EvidenceTakeError, match="not a case yet"):
        services.attachment_to_evidence(actor=cast["coordinator"], attachment=attachment)
    with pytest.raises(services.EvidenceTakeError, match="No case"):
        services.attachment_to_evidence(
            actor=cast["coordinator"], attachment=attachment, case_codename="no-such-case-1"
        )
    other = case_services.case_create(actor=cast["coordinator"], codename="grey-owl-12")
    item = services.attachment_to_evidence(
        actor=cast["coordinator"], attachment=attachment, case_codename="Grey Owl 12"
    )
    assert item.case == other


@pytest.mark.parametrize(
    "name", ["caseworker", "lawyer", "documentation_officer", "treasurer", "deactivated"]
)
def test_members_without_both_roles_are_refused(cast, name):
    attachment = _send("VID.mp4", small_mp4(), keep_originals="on")
    _converted(attachment, cast["coordinator"])
    with pytest.raises(Forbidden):
        services.attachment_to_evidence(actor=cast[name], attachment=attachment)
    with pytest.raises(Forbidden):
        services.attachment_to_evidence(actor=PORTAL, attachment=attachment)
    assert not Item.objects.exists()


def test_the_page_refuses_a_documentation_officer_who_does_not_triage(cast, client_for):
    attachment = _send("VID.mp4", small_mp4(), keep_originals="on")
    _converted(attachment, cast["coordinator"])
    response = client_for("documentation_officer").post(
        reverse("triage:to_evidence", args=[attachment.pk])
    )
    assert response.status_code == 403
    assert not Item.objects.exists()


def test_a_file_sent_before_the_portal_asked_goes_nowhere(cast):
    attachment = _send("VID.mp4", small_mp4(), keep_originals="on")
    Attachment.objects.filter(pk=attachment.pk).update(consent_asked=False, consent_scope=[])
    attachment.refresh_from_db()
    _converted(attachment, cast["coordinator"])
    item = services.attachment_to_evidence(actor=cast["coordinator"], attachment=attachment)
    assert item.origin == ItemOrigin.NOT_RECORDED


def test_the_requester_deleting_the_request_leaves_the_evidence_and_is_told_so(cast):
    video = small_mp4()
    requester = Client()
    attachment = _send("VID.mp4", video, client=requester, keep_originals="on")
    told = "Files the group has already added to its evidence stay there"
    assert told not in requester.get(reverse("intake:delete")).content.decode()
    _converted(attachment, cast["coordinator"])
    item = services.attachment_to_evidence(actor=cast["coordinator"], attachment=attachment)
    assert told in requester.get(reverse("intake:delete")).content.decode()
    request = IntakeRequest.objects.get()
    services.request_delete_by_requester(actor=PORTAL, request=request)
    assert not Attachment.objects.exists()
    assert b"".join(blob_store().open(item.blob)) == video
