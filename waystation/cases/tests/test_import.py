"""Lists of people as groups really keep them become cases: each messy file with what it must
give, the identity columns going into the vault (encrypted) and nowhere else, refusals with
every reason, all or nothing, and the good rows with the refused ones given back."""

from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases.imports import planning
from waystation.cases.imports import services as imports
from waystation.cases.imports.schema import PEOPLE
from waystation.cases.models import Case, Identity, Note
from waystation.core import spreadsheets as sheets
from waystation.core.refusals import Forbidden

from .factories import make_case
from .people_files import csv_bytes, ods_bytes, xlsx_bytes


def _plan(data: bytes, **options):
    table = sheets.read_table(data, PEOPLE, sheets.ReadOptions(**options))
    return planning.people_plan(table, sheets.guess_mapping(PEOPLE, table.headers))


def _import(data: bytes, actor, mode=imports.ALL_OR_NOTHING, **options):
    plan = _plan(data, **options)
    return plan, imports.cases_import(actor=actor, plan=plan, filename="list.csv", mode=mode)


def _cases() -> list[dict]:
    """Every case as a coordinator would read it, identity included, in the order written."""
    found = []
    for case in Case.objects.order_by("pk"):
        identity = Identity.objects.get(case=case)
        found.append(
            {
                "codename": case.codename,
                "city": case.city,
                "status": case.status,
                "since": case.status_since,
                "urgency": case.urgency,
                "languages": case.languages,
                "needs": sorted((n.kind, n.note) for n in case.needs.all()),
                "family": sorted((m.relation, m.age or 0) for m in case.family.all()),
                "timeline": sorted((s.on, s.status) for s in case.status_changes.all()),
                "notes": [note.text for note in case.notes.all()],
                "identity": {
                    name: getattr(identity, name)
                    for name in Identity.FIELDS
                    if getattr(identity, name)
                },
            }
        )
    return found


def _today():
    """The day a status from the list is dated: the list says "now"."""
    return timezone.localdate()


# -- The corpus: each file as its program writes it, and what it must give ----------------

RU_HEADER = [
    "ФИО",
    "Позывной",
    "Телефон",
    "Город",
    "Статус",
    "Срочность",
    "Нужды",
    "Семья",
    "Дата приезда",
    "Примечание",
]


def excel_ru_cp1251():
    """Excel on a Russian Windows: cp1251, semicolons, a title and a blank line above the
    headers, a quoted cell with doubled quotes and commas, a totals line below."""
    rows = [
        ["Список подопечных на 01.03.2024"],
        [],
        RU_HEADER,
        [
            "Иванов Иван Иванович",
            "Дед",
            "+7 900 123-45-67",
            "Алматы",
            "в пути",
            "срочно",
            "жильё, деньги",
            "жена и 2 детей (5 и 8 лет)",
            "12.03.2023",
            'Нужен адвокат, "срочно", до пятницы',
        ],
        [
            "Петров Пётр",
            "",
            "",
            "Бишкек",
            "задержан",
            "в опасности",
            "адвокат; передачи",
            "нет",
            "март 2023",
            "",
        ],
        ["Сидоров С.", "Шмель", "+996 555 000", "Тбилиси", "", "", "", "", "", ""],
        ["Итого: 3"],
    ]
    return csv_bytes(rows, encoding="cp1251", delimiter=";")


def excel_ru_expected():
    today = _today()
    return [
        {
            "city": "Алматы",
            "status": "in_transit",
            "since": date(2023, 3, 12),
            "urgency": 3,
            "needs": [("housing", ""), ("money", "")],
            "family": [("child", 5), ("child", 8), ("wife", 0)],
            "timeline": [(date(2023, 3, 12), "in_transit")],
            "notes": ['Нужен адвокат, "срочно", до пятницы'],
            "identity": {
                "legal_name": "Иванов Иван Иванович",
                "callsign": "Дед",
                "phone": "+7 900 123-45-67",
            },
        },
        {
            "city": "Бишкек",
            "status": "detained",
            "since": today,
            "urgency": 4,
            "needs": [("lawyer", ""), ("parcels", "")],
            "family": [],
            "timeline": [(date(2023, 3, 1), "crossed"), (today, "detained")],
            "notes": [],
            "identity": {"legal_name": "Петров Пётр"},
        },
        {
            "city": "Тбилиси",
            "status": "in_transit",
            "since": today,
            "urgency": 2,
            "needs": [],
            "family": [],
            "timeline": [(today, "in_transit")],
            "notes": [],
            "identity": {"legal_name": "Сидоров С.", "callsign": "Шмель", "phone": "+996 555 000"},
        },
    ]


def english_headers_in_russian_xlsx():
    """An XLSX kept in Russian under English headers, with a merged title, real date cells, an
    Excel serial number and a month-only date."""
    rows = [
        ["Name", "Phone", "City", "Status", "Urgency", "Needs", "Family", "Arrival", "Notes"],
        [
            "Козлов Андрей",
            "+7 701 111",
            "Астана",
            "Задержан",
            "Критично",
            "Адвокат",
            "",
            date(2023, 5, 2),
            "",
        ],
        [
            "Морозов Олег",
            "",
            "Алматы",
            "Освобождён",
            "стабильно",
            "Психолог, еда",
            "жена",
            45000,
            "Работает",
        ],
        ["Волков Илья", "", "Бишкек", "уехал", "", "", "2", "март 2023", ""],
    ]
    return xlsx_bytes(rows, title="Журнал", merge_title=6)


def english_headers_expected():
    today = _today()
    return [
        {
            "city": "Астана",
            "status": "detained",
            "since": today,
            "urgency": 4,
            "needs": [("lawyer", "")],
            "family": [],
            "timeline": [(date(2023, 5, 2), "crossed"), (today, "detained")],
            "notes": [],
            "identity": {"legal_name": "Козлов Андрей", "phone": "+7 701 111"},
        },
        {
            "city": "Алматы",
            "status": "released",
            "since": today,
            "urgency": 1,
            "needs": [("food", ""), ("psychological", "")],
            "family": [("wife", 0)],
            "timeline": [(date(2023, 3, 15), "crossed"), (today, "released")],
            "notes": ["Работает"],
            "identity": {"legal_name": "Морозов Олег"},
        },
        {
            "city": "Бишкек",
            "status": "relocated",
            "since": today,
            "urgency": 2,
            "needs": [],
            "family": [("family member", 0), ("family member", 0)],
            "timeline": [(date(2023, 3, 1), "crossed"), (today, "relocated")],
            "notes": [],
            "identity": {"legal_name": "Волков Илья"},
        },
    ]


def libreoffice_german_ods():
    rows = [
        ["Name", "Telefon", "Stadt", "Status", "Dringlichkeit", "Bedarf", "Familie", "Ankunft"],
        [
            "Smirnow Pawel",
            "+49 151 000",
            "Berlin",
            "festgenommen",
            "dringend",
            "Unterkunft, Anwalt",
            "Ehefrau und 2 Kinder",
            date(2024, 1, 20),
        ],
        ["Orlow Denis", "", "Hamburg", "unterwegs", "niedrig", "Geld", "allein", "20.02.2024"],
    ]
    return ods_bytes(rows)


def libreoffice_german_expected():
    today = _today()
    return [
        {
            "city": "Berlin",
            "status": "detained",
            "since": today,
            "urgency": 3,
            "needs": [("housing", ""), ("lawyer", "")],
            "family": [("child", 0), ("child", 0), ("wife", 0)],
            "timeline": [(date(2024, 1, 20), "crossed"), (today, "detained")],
            "notes": [],
            "identity": {"legal_name": "Smirnow Pawel", "phone": "+49 151 000"},
        },
        {
            "city": "Hamburg",
            "status": "in_transit",
            "since": date(2024, 2, 20),
            "urgency": 1,
            "needs": [("money", "")],
            "family": [],
            "timeline": [(date(2024, 2, 20), "in_transit")],
            "notes": [],
            "identity": {"legal_name": "Orlow Denis"},
        },
    ]


def excel_unicode_text_ukrainian():
    """Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated."""
    rows = [
        [
            "ПІБ",
            "Позивний",
            "Місто",
            "Статус",
            "Терміновість",
            "Потреби",
            "Родина",
            "Дата приїзду",
            "Примітки",
        ],
        [
            "Коваленко Тарас",
            "Сич",
            "Кишинів",
            "в дорозі",
            "терміново",
            "житло, ліки",
            "дружина, син 3",
            "01.09.2023",
            "Потрібен перекладач",
        ],
    ]
    return csv_bytes(rows, encoding="utf-16", delimiter="\t")


def excel_unicode_text_expected():
    return [
        {
            "city": "Кишинів",
            "status": "in_transit",
            "since": date(2023, 9, 1),
            "urgency": 3,
            "needs": [("housing", ""), ("medical", "")],
            "family": [("son", 3), ("wife", 0)],
            "timeline": [(date(2023, 9, 1), "in_transit")],
            "notes": ["Потрібен перекладач"],
            "identity": {"legal_name": "Коваленко Тарас", "callsign": "Сич"},
        }
    ]


def google_sheets_export():
    """Google Sheets: UTF-8 without a byte-order mark, commas, empty columns at the end."""
    rows = [
        [
            "Full name",
            "Callsign",
            "Passport",
            "City",
            "Status",
            "Urgency",
            "Needs",
            "Languages",
            "Family",
            "Date of arrival",
            "",
            "",
        ],
        [
            "Alexei Sokolov",
            "Falcon",
            "75 1234567",
            "Yerevan",
            "in transit",
            "watch",
            "housing; doctor",
            "Russian, English",
            "wife, daughter 2",
            "2023-10-05",
            "",
            "",
        ],
    ]
    return csv_bytes(rows, encoding="utf-8", delimiter=",", newline="\n")


def google_sheets_expected():
    return [
        {
            "city": "Yerevan",
            "status": "in_transit",
            "since": date(2023, 10, 5),
            "urgency": 2,
            "languages": "Russian, English",
            "needs": [("housing", ""), ("medical", "")],
            "family": [("daughter", 2), ("wife", 0)],
            "timeline": [(date(2023, 10, 5), "in_transit")],
            "notes": [],
            "identity": {
                "legal_name": "Alexei Sokolov",
                "callsign": "Falcon",
                "document_numbers": "75 1234567",
            },
        }
    ]


def surname_name_patronymic():
    """Separate columns for surname, name and patronymic, UTF-8 with a byte-order mark (as
    Excel's "CSV UTF-8" saves)."""
    rows = [
        ["Фамилия", "Имя", "Отчество", "Дата рождения", "Номер паспорта", "Адрес", "Город"],
        ["Иванов", "Иван", "Иванович", "01.02.1990", "45 07 123456", "ул. Абая 1, кв. 2", "Алматы"],
    ]
    return csv_bytes(rows, encoding="utf-8", bom=True)


def surname_expected():
    today = _today()
    return [
        {
            "city": "Алматы",
            "status": "in_transit",
            "since": today,
            "urgency": 2,
            "needs": [],
            "family": [],
            "timeline": [(today, "in_transit")],
            "notes": [],
            "identity": {
                "legal_name": "Иванов Иван Иванович",
                "birth_date": "01.02.1990",
                "document_numbers": "45 07 123456",
                "address": "ул. Абая 1, кв. 2",
            },
        }
    ]


def koi8_with_codenames():
    """Old Unix mail: KOI8-R, vertical bars, the group's own codenames kept."""
    rows = [
        ["Кодовое имя", "Город", "Статус"],
        ["Quiet River 7", "Ош", "закрыто"],
        ["amber-falcon-27", "Ош", "экстрадирован"],
    ]
    return csv_bytes(rows, encoding="koi8-r", delimiter="|")


def koi8_expected():
    today = _today()
    return [
        {
            "codename": "quiet-river-7",
            "city": "Ош",
            "status": "closed",
            "since": today,
            "urgency": 2,
            "needs": [],
            "family": [],
            "timeline": [(today, "closed")],
            "notes": [],
            "identity": {},
        },
        {
            "codename": "amber-falcon-27",
            "city": "Ош",
            "status": "extradited",
            "since": today,
            "urgency": 2,
            "needs": [],
            "family": [],
            "timeline": [(today, "extradited")],
            "notes": [],
            "identity": {},
        },
    ]


def hidden_first_sheet():
    rows = [["Город", "Срочность", "Телефон"], ["Душанбе", "3", "+992 000"]]
    return xlsx_bytes(rows, hidden_sheet=True)


def hidden_first_sheet_expected():
    today = _today()
    return [
        {
            "city": "Душанбе",
            "status": "in_transit",
            "since": today,
            "urgency": 3,
            "needs": [],
            "family": [],
            "timeline": [(today, "in_transit")],
            "notes": [],
            "identity": {"phone": "+992 000"},
        }
    ]


CORPUS = [
    (excel_ru_cp1251, excel_ru_expected),
    (english_headers_in_russian_xlsx, english_headers_expected),
    (libreoffice_german_ods, libreoffice_german_expected),
    (excel_unicode_text_ukrainian, excel_unicode_text_expected),
    (google_sheets_export, google_sheets_expected),
    (surname_name_patronymic, surname_expected),
    (koi8_with_codenames, koi8_expected),
    (hidden_first_sheet, hidden_first_sheet_expected),
]


@pytest.mark.parametrize(("make", "expected"), CORPUS, ids=[m.__name__ for m, _e in CORPUS])
def test_each_messy_list_gives_its_cases(cast, make, expected):
    plan, result = _import(make(), cast["coordinator"])
    assert [r.reasons for r in plan.rejected] == []
    wanted = expected()
    assert result.cases == len(wanted)
    found = _cases()
    for case, want in zip(found, wanted, strict=True):
        if "codename" not in want:
            assert len(case["codename"].split("-")) == 3  # generated: amber-falcon-27
        want = {"languages": "", **want}
        assert {key: case[key] for key in want} == want
    assert result.identities == sum(1 for want in wanted if want["identity"])


def test_the_file_is_read_as_its_program_wrote_it(db):
    table = sheets.read_table(excel_ru_cp1251(), PEOPLE)
    assert (table.grid.encoding, table.grid.delimiter, table.header_line) == ("cp1251", ";", 3)
    assert [row.line for row in table.below] == [7]  # "Итого: 3" is left out
    table = sheets.read_table(english_headers_in_russian_xlsx(), PEOPLE)
    assert table.header_line == 3
    table = sheets.read_table(excel_unicode_text_ukrainian(), PEOPLE)
    assert (table.grid.encoding, table.grid.delimiter) == ("utf-16", "\t")


# -- Refusals: every reason, all or nothing ---------------------------------------------------


def _bad_rows():
    rows = [
        ["ФИО", "Город", "Статус", "Срочность", "Семья", "Дата приезда"],
        ["Первый Хороший", "Алматы", "в пути", "срочно", "жена", "01.03.2023"],
        ["Второй Плохой", "Алматы", "непонятно", "очень", "жена Мария", "31.02.2023"],
        ["Третий Хороший", "Бишкек", "задержан", "", "", ""],
        ["Четвёртый", "Ош", "в пути", "", "", "01.01.2099"],
    ]
    return csv_bytes(rows, encoding="utf-8")


def test_a_refused_row_lists_every_reason_and_names_no_one(cast):
    plan = _plan(_bad_rows())
    assert [r.line for r in plan.rejected] == [3, 5]
    reasons = plan.rejected[0].reasons
    assert len(reasons) == 4
    assert "“непонятно” is not a status" in reasons[0]
    assert "“очень” is not an urgency" in reasons[1]
    assert "family column may hold only relations" in reasons[2]
    assert reasons[3] == "31.02.2023 is not a date"
    assert "in the future" in plan.rejected[1].reasons[0]
    everything = " ".join(r for row in plan.rejected for r in row.reasons)
    assert "Мария" not in everything and "Плохой" not in everything


def test_all_or_nothing_writes_nothing_while_a_row_is_refused(cast):
    plan = _plan(_bad_rows())
    with pytest.raises(sheets.ImportRefused, match="2 rows cannot be imported"):
        imports.cases_import(actor=cast["coordinator"], plan=plan, filename="list.csv")
    assert Case.objects.count() == 0 and Identity.objects.count() == 0
    assert not AuditEvent.objects.filter(event=Event.CASES_IMPORTED).exists()


def test_good_rows_are_written_and_the_refused_come_back_to_fix_and_import(cast):
    coordinator = cast["coordinator"]
    plan, result = _import(_bad_rows(), coordinator, mode=imports.GOOD_ROWS)
    assert (result.cases, result.rejected) == (2, 2)
    assert sorted(Case.objects.values_list("city", flat=True)) == ["Алматы", "Бишкек"]
    content, extension, _type = sheets.rejected_file(plan)
    assert extension == "csv"
    text = content.decode("utf-8-sig")
    assert "Второй Плохой" in text and "line 3: " in text and "31.02.2023 is not a date" in text
    fixed = (
        text.replace("непонятно", "задержан")
        .replace(",очень,", ",срочно,")
        .replace("жена Мария", "жена")
        .replace("31.02.2023", "28.02.2023")
        .replace("01.01.2099", "01.01.2024")
    )
    _plan_again, again = _import(fixed.encode("utf-8"), coordinator)
    assert again.cases == 2
    assert Case.objects.count() == 4
    assert sorted(Identity.objects.get(case=c).legal_name for c in Case.objects.all()) == [
        "Второй Плохой",
        "Первый Хороший",
        "Третий Хороший",
        "Четвёртый",
    ]


def test_codenames_taken_or_repeated_are_refused_with_their_line(cast):
    make_case(codename="amber-falcon-27")
    rows = [
        ["Codename", "City"],
        ["amber-falcon-27", "Almaty"],
        ["quiet-river-2", "Osh"],
        ["Quiet River 2", "Osh"],
        ["Сокол", "Osh"],
    ]
    plan = _plan(csv_bytes(rows))
    assert [(r.line, r.reasons) for r in plan.rejected] == [
        (2, ("a case with the codename amber-falcon-27 exists already",)),
        (4, ("the codename quiet-river-2 is on line 3 too",)),
        (
            5,
            (
                "“Сокол” is not a codename: Latin letters in words joined by hyphens, usually "
                "ending in a number, for example amber-falcon-27",
            ),
        ),
    ]


def test_a_codename_taken_between_preview_and_import_refuses_that_row(cast):
    plan = _plan(csv_bytes([["Codename", "City"], ["quiet-river-2", "Osh"]]))
    make_case(codename="quiet-river-2")
    with pytest.raises(sheets.ImportRefused):
        imports.cases_import(actor=cast["coordinator"], plan=plan, filename="list.csv")
    assert Case.objects.count() == 1


def test_a_codename_taken_while_writing_refuses_the_import_whole(cast, monkeypatch):
    from waystation.cases.imports import writing

    plan = _plan(csv_bytes([["Codename", "City"], ["quiet-river-2", "Osh"], ["", "Osh"]]))
    monkeypatch.setattr(writing, "taken_codenames", lambda wanted: set())
    monkeypatch.setattr(imports, "taken_codenames", lambda wanted: set())
    make_case(codename="quiet-river-2")  # as if another import had just written it
    with pytest.raises(imports.CaseError, match="taken meanwhile"):
        imports.cases_import(actor=cast["coordinator"], plan=plan, filename="list.csv")
    assert Case.objects.count() == 1 and Identity.objects.count() == 1


def test_a_file_without_any_row_to_import_is_refused(cast):
    plan = _plan(csv_bytes([["Город", "Статус"], ["Алматы", "непонятно"]]))
    with pytest.raises(sheets.ImportRefused, match="no rows to import"):
        imports.cases_import(
            actor=cast["coordinator"], plan=plan, filename="list.csv", mode=imports.GOOD_ROWS
        )


# -- Who may import, and the identity vault ------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["caseworker", "lawyer", "documentation_officer", "screener", "treasurer"]
)
def test_only_a_coordinator_imports(cast, name):
    plan = _plan(excel_ru_cp1251())
    with pytest.raises(Forbidden):
        imports.cases_import(actor=cast[name], plan=plan, filename="list.csv")
    assert Case.objects.count() == 0


def test_a_deactivated_coordinator_imports_nothing(cast):
    coordinator = cast["coordinator"]
    coordinator.is_active = False
    coordinator.save()
    with pytest.raises(Forbidden):
        imports.cases_import(actor=coordinator, plan=_plan(excel_ru_cp1251()), filename="x")


def test_identity_values_are_encrypted_in_the_vault_bound_to_their_case(cast):
    _import(excel_ru_cp1251(), cast["coordinator"])
    first, second = Case.objects.order_by("pk")[:2]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT legal_name, phone, callsign FROM cases_identity WHERE case_id = %s",
            [first.pk],
        )
        stored = [bytes(value) for value in cursor.fetchone()]
    plain_values = ["Иванов Иван Иванович", "+7 900 123-45-67", "Дед"]
    for plain, cipher in zip(plain_values, stored, strict=True):
        assert plain.encode() not in cipher and "Иванов".encode() not in cipher
        assert len(cipher) == 12 + len(plain.encode()) + 16  # nonce, ciphertext, tag
    # A ciphertext moved to another case's row does not decrypt there.
    from waystation.core.crypto import DecryptionError

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_identity SET legal_name = %s WHERE case_id = %s",
            [stored[0], second.pk],
        )
    with pytest.raises(DecryptionError):
        Identity.objects.get(case=second).legal_name  # noqa: B018


def test_one_audit_row_per_import_with_counts_and_no_personal_data(cast):
    before = AuditEvent.objects.count()
    _import(excel_ru_cp1251(), cast["coordinator"])
    assert AuditEvent.objects.count() == before + 1
    row = AuditEvent.objects.get(event=Event.CASES_IMPORTED)
    ids = sorted(Case.objects.values_list("pk", flat=True))
    assert row.actor_id == cast["coordinator"].pk
    assert row.data == {
        "cases": 3,
        "identities": 3,
        "notes": 1,
        "rejected": 0,
        "first_case": ids[0],
        "last_case": ids[-1],
        "file_kind": "csv",
    }


def test_nothing_of_a_person_reaches_the_logs(cast, caplog):
    caplog.set_level("DEBUG")
    _import(excel_ru_cp1251(), cast["coordinator"])
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for value in ("Иванов", "Дед", "123-45-67", "Шмель", "+996"):
        assert value not in logged


def test_notes_are_searchable_like_any_note(cast):
    from waystation.cases.selectors import CaseFilters, cases_for

    _import(excel_ru_cp1251(), cast["coordinator"])
    found = cases_for(cast["coordinator"], CaseFilters(query="адвокат пятницы"))
    assert [case.city for case in found] == ["Алматы"]
    assert Note.objects.get().author == cast["coordinator"]
