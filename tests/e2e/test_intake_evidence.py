"""Issue 25, end to end in Chromium with JavaScript off: a requester sends a video through the
portal and agrees that it may go to courts and be kept as evidence; a coordinator opens a case
from the request and takes the video into its evidence vault; the package for the
International Criminal Court's prosecutor, made through the exit gate, holds the video bit for
bit, with a chain of custody that starts at the portal."""

import hashlib
import io
import json
import zipfile

import pyotp
import pytest

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.evidence.models import Item
from waystation.intake.models import Attachment
from waystation.intake.tests.test_to_evidence import small_mp4

from .test_browser import _sign_in_with_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def blobs(settings, tmp_path):
    root = tmp_path / "blobs"
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(root)}
    return root


def test_a_requesters_video_reaches_the_icc_package_bit_for_bit(
    page_for, browser, live_server, screenshots, tmp_path, blobs
):
    coordinator = UserFactory(
        username="anna", roles=[Role.COORDINATOR], totp_secret=pyotp.random_base32()
    )
    video = small_mp4() + b"filmed from the window"
    sent = hashlib.sha256(video).hexdigest()
    path = tmp_path / "VID_20260312.mp4"
    path.write_bytes(video)

    # -- the requester, in Russian, on a phone without JavaScript ---------------------------
    requester_context = browser.new_context(
        java_script_enabled=False,
        base_url=live_server.url,
        viewport={"width": 414, "height": 860},
        locale="ru-RU",
    )
    requester_context.set_default_timeout(8000)
    requester = requester_context.new_page()
    requester.goto("/intake/new/")
    form = requester.locator("main form").inner_text()
    assert "Если вы отправляете файлы" in form
    assert requester.locator("input[name=consent_scope]:checked").count() == 0
    requester.check("input[name=urgency][value=danger]")
    requester.fill("#id_text", "Я снял это из окна. Можно передать в суд.")
    requester.check("input[name=consent_scope][value=court]")
    requester.check("input[name=keep_originals]")
    requester.set_input_files("#id_files", str(path))
    requester.screenshot(path=screenshots / "intake-consent.png", full_page=True)
    requester.click("button.primary")
    assert requester.locator("#codename li").count() == 7
    attachment = Attachment.objects.get()
    assert attachment.consent_scope == ["court"] and attachment.keep_original
    requester_context.close()

    # -- the coordinator opens a case and takes the video into evidence --------------------
    staff = page_for()
    _sign_in_with_code(staff, coordinator)
    staff.goto(f"/requests/{attachment.message.request_id}/")
    assert "Courts and international investigators" in staff.locator(".thread").inner_text()
    staff.fill("#id_codename", "quiet-heron-41")
    staff.click("text=Open a case from this request")
    staff.goto(f"/requests/{attachment.message.request_id}/")
    staff.click("summary:has-text('Take into evidence')")
    staff.fill("#id_ev0_courts", "ICC OTP")
    staff.screenshot(path=screenshots / "triage-to-evidence.png", full_page=True)
    staff.click("#file-" + str(attachment.pk) + " button:has-text('Take into evidence')")
    assert Item.objects.count() == 1, staff.locator("main").inner_text()
    item = Item.objects.get()
    assert staff.url.endswith(f"/evidence/items/{item.pk}/")
    page_text = staff.locator("main").inner_text()
    assert sent in page_text
    assert "anonymous portal" in page_text

    # -- the package for the ICC, through the exit gate -------------------------------------
    staff.goto("/evidence/export/?case=quiet-heron-41")
    staff.select_option("#id_recipient", "court")
    staff.fill("#id_body", "ICC OTP")
    staff.click("button[value=preview]")
    assert "goes" in staff.locator(f'tr[data-line="{item.pk}"]').inner_text()
    with staff.expect_download() as download:
        staff.click("button[value=download]")
    data = download.value.path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        (video_name,) = [n for n in names if str(item.pk) in n and n.endswith(".mp4")]
        inside = archive.read(video_name)
        (custody_name,) = [n for n in names if n.endswith("data/custody.json")]
        chain = [
            e for e in json.loads(archive.read(custody_name)) if e["item"] == str(item.pk)
        ]
    assert hashlib.sha256(inside).hexdigest() == sent and inside == video
    assert chain[0]["seq"] == 1 and chain[0]["action"] == "acquired"
    assert chain[0]["actor"] is None and chain[0]["details"]["through"] == "portal"
    assert chain[0]["details"]["on"] == attachment.message.sent_on.isoformat()
    assert chain[1]["action"] == "hashed" and chain[1]["details"]["sha256"] == sent
    assert chain[2]["actor_username"] == "anna"
    assert [e["action"] for e in chain[:3]] == ["acquired", "hashed", "acquired"]
    assert item.custody.filter(action="exported").count() == 1
