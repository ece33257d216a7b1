"""A coordinator imports the group's list of people in Chromium with JavaScript off, in
Russian: the column "Где сейчас" is not recognised and is chosen as the city on the preview,
without uploading again; names, callsigns and phones never appear on the page; a row with an
impossible date is left out, its file downloaded, fixed and imported."""

from pathlib import Path

import pyotp
import pytest

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.cases.models import Case, Identity

from .test_browser import _sign_in_with_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PEOPLE = (
    "Подопечные на 01.03.2024\n"
    "\n"
    "ФИО;Позывной;Телефон;Где сейчас;Статус;Срочность;Нужды;Семья;Дата приезда\n"
    "Иванов Иван Иванович;Дед;+7 900 123-45-67;Алматы;в пути;срочно;жильё, деньги;"
    "жена и 2 детей (5 и 8 лет);12.03.2023\n"
    "Петров Пётр;;+7 901 000-00-00;Бишкек;задержан;в опасности;адвокат;нет;март 2023\n"
    "Сидоров Семён;Шмель;;Тбилиси;в пути;;;;31.02.2023\n"
).encode("cp1251")
NEVER_SHOWN = ("Иванов", "Петров", "Сидоров", "Дед", "Шмель", "123-45-67", "+7 901")


def test_a_coordinator_imports_a_list_of_people_in_russian(page_for, screenshots):
    coordinator = UserFactory(
        username="anna", display_name="Анна", roles=[Role.COORDINATOR],
        totp_secret=pyotp.random_base32(),
    )  # fmt: skip
    page = page_for()
    _sign_in_with_code(page, coordinator)
    page.click("button[name=language][value=ru]")
    page.goto("/cases/")
    page.click("text=Импортировать список людей >> nth=0")
    assert page.locator("h1").inner_text() == "Импорт вашего списка людей"
    page.set_input_files(
        "#id_file", {"name": "подопечные.csv", "mimeType": "text/csv", "buffer": PEOPLE}
    )
    page.click("main button.primary")

    assert page.locator("h1").inner_text() == "Проверка списка людей"
    main = page.locator("main").inner_text()
    for value in NEVER_SHOWN:
        assert value not in main and value not in page.content()
    assert page.input_value("#id_header_row") == "3"
    vault = page.locator("section.vault").inner_text()
    assert "A: ФИО" in vault and "B: Позывной" in vault and "C: Телефон" in vault
    # "Где сейчас" is not a header the import knows: the city is not in the file yet.
    assert page.locator("#id_field_city option:checked").inner_text() == "— нет в файле —"
    assert "D: Где сейчас" in main.split("Не импортируются столбцы:")[1]
    page.select_option("#id_field_city", "3")
    page.screenshot(path=screenshots / "case-import-mapping-ru.png", full_page=True)
    page.click("form.import-reading button.primary")

    chosen = page.locator("#id_field_city option:checked").inner_text()
    assert chosen.startswith("D: Где сейчас — Алматы, Бишкек")
    main = page.locator("main").inner_text()
    assert "Не импортируются столбцы:" not in main
    assert "строка 6: 31.02.2023 — такой даты нет" in main
    preview = page.locator("table.import-preview").inner_text()
    assert "Алматы" in preview and "жена, 2 × ребёнок (5, 8)" in preview
    assert "заполнено: Имя по документам, Позывной или прозвище, Телефон" in preview
    for value in NEVER_SHOWN:
        assert value not in page.content()
    page.check("input[name=mode][value=good]")
    page.click("text=Импортировать >> nth=-1")

    message = page.locator(".messages").inner_text()
    assert "Из списка открыто 2 дела (с личными данными: 2)." in message
    assert "1 строка не импортирована" in message
    assert sorted(Case.objects.values_list("city", flat=True)) == ["Алматы", "Бишкек"]
    assert {i.legal_name for i in Identity.objects.all()} == {
        "Иванов Иван Иванович",
        "Петров Пётр",
    }
    with page.expect_download() as info:
        page.click("a[download]")
    download = info.value
    assert download.suggested_filename.endswith("-rejected.csv")
    rejected = Path(download.path()).read_bytes().decode("cp1251")
    assert rejected.splitlines()[1].startswith("Сидоров Семён;Шмель;;Тбилиси;")
    assert rejected.splitlines()[1].endswith("строка 6: 31.02.2023 — такой даты нет")

    fixed = rejected.replace("31.02.2023", "28.02.2023").encode("cp1251")
    page.set_input_files(
        "#id_file", {"name": "исправлено.csv", "mimeType": "text/csv", "buffer": fixed}
    )
    page.click("main button.primary")
    page.select_option("#id_field_city", "3")
    page.click("form.import-reading button.primary")
    assert "строку нельзя импортировать" not in page.locator("main").inner_text()
    page.click("text=Импортировать >> nth=-1")
    assert "Из списка открыто 1 дело (с личными данными: 1)." in page.locator(
        ".messages"
    ).inner_text()
    (case,) = [case for case in Case.objects.all() if case.city == "Тбилиси"]  # sealed on PG
    assert Identity.objects.get(case=case).callsign == "Шмель"
    assert case.status_since.isoformat() == "2023-02-28"
