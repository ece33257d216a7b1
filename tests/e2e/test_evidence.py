"""A documentation officer, in Chromium with JavaScript off, records an event, takes a
testimony with consent, and uploads a large video and a photo: the SHA-256 on the page is
hashlib's of the file, and each look is in the chain of custody."""

import hashlib
import os

import pytest
from PIL import ExifTags, Image

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.cases.tests.factories import make_case
from waystation.evidence.models import Item, Testimony

from .test_browser import _sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LARGE = 160 * 1024 * 1024  # through the browser's form, streamed into the blob store


@pytest.fixture
def blobs(settings, tmp_path):
    root = tmp_path / "blobs"
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(root)}
    return root


def _large_file(path) -> str:
    digest = hashlib.sha256()
    block = os.urandom(1 << 20)
    with open(path, "wb") as out:
        for n in range(LARGE >> 20):
            piece = n.to_bytes(8, "big") + block[8:]
            digest.update(piece)
            out.write(piece)
    return digest.hexdigest()


def _photo(path):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "FieldCam"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (46.0, 51.0, 0.0), 3: "E", 4: (32.0, 59.0, 0.0)}
    Image.new("RGB", (80, 60), (120, 120, 40)).save(path, "JPEG", exif=exif)
    return path


def test_event_testimony_and_a_large_upload(page_for, screenshots, tmp_path, blobs):
    officer = UserFactory(username="olga", roles=[Role.DOCUMENTATION_OFFICER])
    make_case(codename="quiet-heron-41")
    page = page_for()
    _sign_in(page, officer.username)
    page.click(".main-nav >> text=Evidence")
    assert "No items yet." in page.locator("main").inner_text()

    page.click("text=Record an event")
    page.select_option("#id_act_type", "execution_of_prisoners")
    page.fill("#id_title", "Shooting of prisoners near the school")
    page.fill("#id_date_from", "2026-03-14")
    page.select_option("#id_date_certainty", "approximate")
    page.fill("#id_place", "Posad-Pokrovske")
    page.fill("#id_victims_count", "4")
    page.fill("#id_perpetrator_unit", "unit 0000")
    page.click("button.primary")
    assert page.locator("h1").inner_text() == "Shooting of prisoners near the school"

    page.goto("/evidence/testimonies/new/?case=quiet-heron-41")
    page.fill("#id_language", "Russian")
    page.fill("#id_statement", "I saw four prisoners taken behind the school.")
    page.select_option("#id_event", label="Shooting of prisoners near the school")
    page.select_option("#id_role", "direct")
    page.check("input[name=consent_scope][value=court]")
    page.click("button.primary")
    # A court must be named; what was typed stays.
    assert "Name the court" in page.locator(".has-error").inner_text()
    assert "four prisoners" in page.input_value("#id_statement")
    page.fill("#id_consent_body", "International Criminal Court")
    page.click("button.primary")
    testimony = Testimony.objects.get()
    assert "four prisoners" in page.locator(".statement").inner_text()
    assert "International Criminal Court" in page.locator("main").inner_text()
    page.screenshot(path=screenshots / "evidence-testimony.png", full_page=True)

    expected = _large_file(tmp_path / "VID_20260314.mp4")
    page.goto("/evidence/items/new/?case=quiet-heron-41")
    page.select_option("#id_acquired_how", "storage_medium")
    page.fill("#id_acquired_from", "the witness, from his phone")
    page.set_input_files(
        "#id_files",
        [str(tmp_path / "VID_20260314.mp4"), str(_photo(tmp_path / "IMG_0001.jpg"))],
    )
    page.click("button.primary", timeout=120_000)
    assert Item.objects.count() == 2
    video = Item.objects.get(size=LARGE)
    assert video.sha256 == expected
    page.goto(f"/evidence/items/{video.pk}/")
    assert expected in page.locator("main").inner_text()

    photo = Item.objects.exclude(pk=video.pk).get()
    page.goto(f"/evidence/items/{photo.pk}/")
    page.fill("#id_reason", "Place and date match the testimony")
    page.select_option("#id_status", "corroborated")
    page.click("#verification button.primary")
    assert "Corroborated" in page.locator("main").inner_text()
    page.screenshot(path=screenshots / "evidence-item.png", full_page=True)
    actions = list(photo.custody.order_by("seq").values_list("action", flat=True))
    assert actions == ["acquired", "hashed", "viewed", "verified", "viewed"]

    page.goto("/evidence/?tab=items")
    page.screenshot(path=screenshots / "evidence-list.png", full_page=True)
    assert testimony.case.codename in page.locator("table").inner_text()


def test_a_media_package_holds_back_the_witness_video_and_says_why(page_for, screenshots, blobs):
    """The witness agreed to one court only; the package for the media shows his video as
    held back, with the reason, before anything is made, and the package has nothing of his."""
    import io
    import zipfile

    from waystation.evidence import services
    from waystation.evidence.models import ItemOrigin, Recipient

    officer = UserFactory(username="olga", roles=[Role.DOCUMENTATION_OFFICER])
    case = make_case(codename="quiet-heron-41")
    witness = services.testimony_record(
        actor=officer,
        case=make_case(codename="grey-owl-12"),
        statement="I filmed it from the roof.",
        language="Russian",
        consent_scope=[Recipient.COURT],
        consent_body="ICC OTP",
    )
    video_bytes = b"the witness's video " + os.urandom(4096)
    video = services.item_ingest_stream(
        actor=officer,
        case=case,
        source=io.BytesIO(video_bytes),
        original_name="VID_roof.mp4",
        origin=ItemOrigin.WITNESS,
        origin_testimony=witness,
    )
    report = services.item_ingest_stream(
        actor=officer,
        case=case,
        source=io.BytesIO(b"a published report"),
        original_name="report.pdf",
        origin=ItemOrigin.OPEN,
    )

    page = page_for()
    _sign_in(page, officer.username)
    page.goto("/evidence/export/?case=quiet-heron-41")
    page.select_option("#id_recipient", "media")
    page.click("button[value=preview]")
    held = page.locator(f'tr[data-line="{video.pk}"]')
    assert "held back" in held.inner_text()
    assert "witness consented to: court ICC OTP" in held.inner_text()
    assert "goes" in page.locator(f'tr[data-line="{report.pk}"]').inner_text()
    assert page.locator(f'input[value="{video.pk}"]').count() == 0  # nothing to tick
    page.screenshot(path=screenshots / "evidence-export-list.png", full_page=True)

    with page.expect_download() as download:
        page.click("button[value=download]")
    data = open(download.value.path(), "rb").read()  # noqa: SIM115 - read once
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        contents = b"".join(archive.read(name) for name in names)
    assert not any(str(video.pk) in name for name in names)
    assert video_bytes not in contents and b"VID_roof" not in contents
    assert b"I filmed it from the roof" not in contents
    assert any(name.endswith("report.pdf") for name in names)
    assert not video.custody.filter(action="exported").exists()
