"""Importing an outreach log in Chromium with JavaScript off, in Russian: the guessed mapping
is wrong ("Кому" holds contact people, the organisations are under "Кто") and is corrected
on the preview without uploading again; a row with an impossible date is left out, its file
downloaded, fixed and imported."""

from pathlib import Path

import pyotp
import pytest

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.outreach.models import Approach, Organisation

from .test_browser import _sign_in_with_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOG = (
    "Журнал обращений\n"
    "\n"
    "Дата;Кто;Кому;Ответ;Когда ответили\n"
    "03.10.2022;Посольство Германии в Астане;визовый отдел;нет ответа;\n"
    "11.10.2022;Pro Asyl;Beratung;обратитесь в посольство;20.10.2022\n"
    "31.02.2023;Мемориал;Анна;отказ;01.03.2023\n"
    "14.03.2023;UNHCR;protection unit;автоответ;14.03.2023\n"
    "\n"
    "Итого: 4;;;;\n"
).encode("cp1251")


def test_a_wrong_mapping_corrected_then_the_rejected_row_fixed(page_for, screenshots):
    coordinator = UserFactory(
        username="anna", display_name="Анна", roles=[Role.COORDINATOR],
        totp_secret=pyotp.random_base32(),
    )  # fmt: skip
    page = page_for()
    _sign_in_with_code(page, coordinator)
    page.click("button[name=language][value=ru]")
    page.goto("/outreach/import/")
    assert page.locator("h1").inner_text() == "Импортировать таблицу"
    page.set_input_files(
        "#id_file", {"name": "журнал.csv", "mimeType": "text/csv", "buffer": LOG}
    )
    page.click("main button.primary")

    # How the file was read: every guess shown.
    assert page.locator("h1").inner_text() == "Проверка импорта"
    reading = page.locator("form.import-reading").inner_text()
    assert "Определено: Windows-1251 (кириллица, Excel в Windows)" in reading
    assert "Определено: точка с запятой ;" in reading
    assert page.input_value("#id_header_row") == "3"
    assert "Найдены в строке 3 по названиям столбцов." in reading
    assert "строка 9: Итого: 4" in reading
    # The guess: "Кому" taken for the organisation; its values are people.
    chosen = page.locator("#id_field_organisation option:checked").inner_text()
    assert chosen.startswith("C: Кому — визовый отдел, Beratung")
    assert "B: Кто" in page.locator("main").inner_text().split("Не импортируются столбцы:")[1]

    page.select_option("#id_field_organisation", "1")
    page.select_option("#id_field_contact", "2")
    page.click("form.import-reading button.primary")
    page.screenshot(path=screenshots / "outreach-import-mapping.png", full_page=True)

    assert page.locator("#id_field_organisation option:checked").inner_text().startswith(
        "B: Кто — Посольство Германии в Астане, Pro Asyl"
    )
    main = page.locator("main").inner_text()
    assert "Не импортируются столбцы:" not in main
    assert "1 строку нельзя импортировать" in main
    assert "строка 6: 31.02.2023 — такой даты нет" in main
    assert "Организации\n3" in main  # the three good rows' organisations
    page.check("input[name=mode][value=good]")
    page.click("text=Импортировать >> nth=-1")

    message = page.locator(".messages").inner_text()
    assert "Импортировано обращений: 3 (новых организаций: 3" in message
    assert "1 строка не импортирована" in message
    assert Approach.objects.count() == 3
    assert sorted(Organisation.objects.values_list("name", flat=True)) == [
        "Pro Asyl", "UNHCR", "Посольство Германии в Астане",
    ]  # fmt: skip
    with page.expect_download() as info:
        page.click("a[download]")
    download = info.value
    assert download.suggested_filename.endswith("-rejected.csv")
    rejected = Path(download.path()).read_bytes().decode("cp1251")
    assert rejected.splitlines() == [
        "Дата;Кто;Кому;Ответ;Когда ответили;Почему строка не импортирована",
        "31.02.2023;Мемориал;Анна;отказ;01.03.2023;строка 6: 31.02.2023 — такой даты нет",
    ]

    fixed = rejected.replace("31.02.2023;", "28.02.2023;").encode("cp1251")
    page.set_input_files(
        "#id_file", {"name": "исправлено.csv", "mimeType": "text/csv", "buffer": fixed}
    )
    page.click("main button.primary")
    # A new file: its columns guessed again, the reason column passed over; corrected again.
    page.select_option("#id_field_organisation", "1")
    page.select_option("#id_field_contact", "2")
    page.click("form.import-reading button.primary")
    main = page.locator("main").inner_text()
    assert "строку нельзя импортировать" not in main and "Не импортируются столбцы:" not in main
    page.click("text=Импортировать >> nth=-1")
    assert page.locator("h1").inner_text() != "Проверка импорта"
    assert Approach.objects.count() == 4
    assert Organisation.objects.filter(name="Мемориал").exists()
