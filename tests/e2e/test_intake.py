"""The intake cycle in Chromium with JavaScript off: a requester sends a photo, gets a codename,
a coordinator reads the request and answers, the requester comes back with the codename,
reads the answer, writes again and deletes everything. Then nothing about the browser's
connection is in the database or the logs."""

import io
import re

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection
from PIL import ExifTags, Image

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.intake.models import Attachment, IntakeRequest, Message

from .test_browser import _sign_in_with_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Waystation-E2E-Agent/4471"
TEXT = "I left my unit in October. I am in Almaty with my wife and need a lawyer."


def _photo_with_gps(path):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TraceCam"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (43.0, 15.0, 1.0), 3: "E", 4: (76.0, 57.0, 2.0)}
    Image.new("RGB", (64, 48), (30, 90, 160)).save(path, "JPEG", exif=exif)
    return path


def _everything_stored() -> str:
    parts = [repr(s.get_decoded()) for s in Session.objects.all()]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the schema)
            parts.append(repr(cursor.fetchall()))
    for model in apps.get_models():  # decrypted, for encrypted fields
        if model._meta.managed and not model._meta.proxy:
            parts += [repr(vars(row)) for row in model.objects.all()]
    return "\n".join(parts)


def test_request_reply_answer_and_delete(
    page_for, browser, live_server, screenshots, tmp_path, caplog
):
    caplog.set_level("DEBUG")
    import pyotp

    coordinator = UserFactory(
        username="anna", roles=[Role.COORDINATOR], totp_secret=pyotp.random_base32()
    )
    requester_context = browser.new_context(
        java_script_enabled=False,
        base_url=live_server.url,
        user_agent=USER_AGENT,
        viewport={"width": 414, "height": 860},
        locale="ru-RU",
    )
    requester_context.set_default_timeout(8000)
    requester = requester_context.new_page()

    # -- the requester, on a phone, in Russian --------------------------------------------
    requester.goto("/intake/")
    assert requester.locator("h1").inner_text() == "Попросите о помощи — безопасно"
    requester.click("text=Написать заявку")
    assert "Никогда не пишите маршрут" in requester.locator("main").inner_text()
    requester.check("input[name=urgency][value=transit]")
    requester.select_option("#id_country", "KZ")
    requester.fill("#id_city", "Алматы")
    requester.fill("#id_languages", "русский")
    requester.check("input[name=help_needed][value=lawyer]")
    requester.fill("#id_people_with", "1")
    requester.fill("#id_text", TEXT)
    # A zip is refused, and nothing typed is lost.
    archive = tmp_path / "photos.zip"
    import zipfile

    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("a.txt", "x" * 1000)
    requester.set_input_files("#id_files", str(archive))
    requester.click("button.primary")
    assert "photos.zip" in requester.locator(".form-errors").inner_text()
    assert requester.input_value("#id_text") == TEXT
    assert requester.input_value("#id_city") == "Алматы"
    assert IntakeRequest.objects.count() == 0

    requester.set_input_files("#id_files", str(_photo_with_gps(tmp_path / "IMG_0412.jpg")))
    requester.screenshot(path=screenshots / "intake-form.png", full_page=True)
    requester.click("button.primary")
    words = requester.locator("#codename li").all_inner_texts()
    assert len(words) == 7
    requester.screenshot(path=screenshots / "intake-codename.png", full_page=True)
    requester.click(".button.primary")
    assert TEXT in requester.locator(".thread").inner_text()
    requester.click("button:has-text('Выйти')")

    # -- the coordinator --------------------------------------------------------------------
    staff = page_for()
    _sign_in_with_code(staff, coordinator)
    assert staff.locator(".main-nav >> text=Requests").count() == 1
    staff.click(".main-nav >> text=Requests")
    assert "Алматы" in staff.locator("main").inner_text()
    staff.screenshot(path=screenshots / "triage-queue.png", full_page=True)
    staff.click("table a >> nth=0")
    assert TEXT in staff.locator(".thread").inner_text()
    with staff.expect_download() as download:
        staff.click("text=IMG_0412.jpg")
    staff_copy = download.value.path().read_bytes()
    with Image.open(io.BytesIO(staff_copy)) as picture:
        assert picture.size == (64, 48)
        assert not picture.getexif() and b"TraceCam" not in staff_copy
    staff.fill("#id_text", "We can find a lawyer. Are you safe where you are now?")
    staff.select_option("#id_kind", "question")
    staff.click("#reply button.primary")
    assert "Are you safe" in staff.locator(".thread").inner_text()

    # -- the requester comes back with the codename ----------------------------------------
    requester.goto("/intake/")
    requester.click("text=Ввести кодовое имя")
    requester.fill("#id_codename", " ".join([*words[:-1], "nonsense"]))
    requester.click("button.primary")
    assert "заявка не найдена" in requester.locator(".has-error").inner_text()
    requester.fill("#id_codename", "  ".join(w.upper() for w in words))
    requester.click("button.primary")
    assert "Are you safe" in requester.locator(".thread").inner_text()
    requester.fill("#id_text", "Yes, we are safe for now.")
    requester.click("#reply button.primary")
    assert "safe for now" in requester.locator(".thread").inner_text()
    requester.screenshot(path=screenshots / "intake-thread.png", full_page=True)
    assert IntakeRequest.objects.get().unread

    requester.click("a.danger-link")
    requester.click("button.danger")
    assert IntakeRequest.objects.count() == Message.objects.count() == 0
    assert Attachment.objects.count() == 0
    requester.goto("/intake/thread/")
    assert requester.url.endswith("/intake/sign-in/")

    # -- nothing about the connection was kept ---------------------------------------------
    everything = _everything_stored()
    logged = caplog.text
    for trace in ("127.0.0.1", "Waystation-E2E-Agent", "HeadlessChrome", " ".join(words)):
        assert not re.search(rf"\b{re.escape(trace)}\b", everything), trace
    for trace in ("Waystation-E2E-Agent", "HeadlessChrome", " ".join(words)):
        assert trace not in logged, trace
    assert "127.0.0.1" not in logged.replace(live_server.url, "")
    requester_context.close()
