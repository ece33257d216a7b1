"""Property-based: lists of people written out as messy files — title and blank rows, any
delimiter, quoting, encoding and byte-order mark, column order, headers and values in English,
Russian, German or Ukrainian, family written as people write it — come back as the same
people; one broken cell refuses exactly its row, with its reason, and never quotes a name."""

import csv
import io
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waystation.cases.imports import values
from waystation.cases.imports.schema import PEOPLE
from waystation.cases.models import NeedKind, Status, Urgency
from waystation.core import spreadsheets as sheets

HEADERS = {
    "legal_name": ["ФИО", "Full name", "Name", "ПІБ", "Имя"],
    "phone": ["Телефон", "Phone", "Telefon", "Номер телефона"],
    "city": ["Город", "City", "Stadt", "Місто"],
    "status": ["Статус", "Status", "Положение"],
    "urgency": ["Срочность", "Urgency", "Dringlichkeit", "Терміновість", "Приоритет"],
    "needs": ["Нужды", "Потребности", "Needs", "Bedarf", "Потреби"],
    "family": ["Семья", "Family", "Familie", "Родина", "Состав семьи"],
    "arrival": ["Дата приезда", "Дата прибытия", "Arrival", "Ankunft", "Дата приїзду"],
}
# What people write for each value, in the four languages.
STATUS_TEXT = {
    Status.IN_TRANSIT: ["в пути", "транзит", "in transit", "unterwegs", "в дорозі"],
    Status.DETAINED: ["задержан", "Задержана", "detained", "festgenommen", "затриманий"],
    Status.RELEASED: ["освобождён", "released", "freigelassen", "звільнений"],
    Status.RELOCATED: ["уехал", "relocated", "weitergereist", "виїхав"],
}
URGENCY_TEXT = {
    Urgency.STABLE: ["стабильно", "low", "stabil", "1"],
    Urgency.WATCH: ["наблюдать", "medium", "mittel", "2"],
    Urgency.URGENT: ["срочно", "urgent", "dringend", "терміново", "3"],
    Urgency.CRITICAL: ["в опасности", "critical", "in Gefahr", "в небезпеці", "4"],
}
NEED_TEXT = {
    NeedKind.HOUSING: ["жильё", "housing", "Unterkunft", "житло"],
    NeedKind.MONEY: ["деньги", "money", "Geld", "гроші"],
    NeedKind.LAWYER: ["адвокат", "lawyer", "Anwalt", "юрист"],
    NeedKind.MEDICAL: ["врач", "doctor", "Arzt", "лікар"],
}
RELATION_TEXT = {
    "wife": ["жена", "wife", "Ehefrau", "дружина"],
    "son": ["сын", "son", "Sohn", "син"],
    "daughter": ["дочь", "daughter", "Tochter", "донька"],
    "mother": ["мать", "mother", "Mutter", "мати"],
}
SEPARATORS = [", ", "; ", " и ", " and ", " und ", " та ", " + "]
CITIES = ["Алматы", "Astana", "Бишкек", "Тбилиси", "Ереван", "Berlin", "Кишинів"]
NAMES = ["Иванов Иван", "Петров Пётр", "Ivan Sokolov", 'Сидоров "Дед"', "Коваленко, Тарас"]
TITLES = ["Список подопечных", "People we help, 2023", "Stand: Mai 2024", "Не удалять!"]


@st.composite
def people(draw):
    family = draw(
        st.lists(
            st.tuples(
                st.sampled_from(sorted(RELATION_TEXT)),
                st.one_of(st.none(), st.integers(0, 90)),
            ),
            max_size=3,
        )
    )
    return {
        "legal_name": draw(st.sampled_from(NAMES)),
        "phone": draw(st.sampled_from(["+7 900 000-00-00", "", "+996 555 12 34"])),
        "city": draw(st.sampled_from(CITIES)),
        "status": draw(st.sampled_from(sorted(STATUS_TEXT))),
        "urgency": draw(st.sampled_from(sorted(URGENCY_TEXT))),
        "needs": draw(st.lists(st.sampled_from(sorted(NEED_TEXT)), unique=True, max_size=3)),
        "family": family,
        "arrival": draw(
            st.one_of(st.none(), st.dates(min_value=date(2022, 1, 1), max_value=date(2024, 6, 1)))
        ),
    }


def _family_text(family, draw_index: int) -> str:
    parts = []
    for number, (relation, age) in enumerate(family):
        words = RELATION_TEXT[relation]
        text = words[(draw_index + number) % len(words)]
        parts.append(text if age is None else f"{text} {age}")
    separator = SEPARATORS[draw_index % len(SEPARATORS)]
    return separator.join(parts) if parts else ["", "нет", "no", "allein"][draw_index % 4]


def _cells(person: dict, choice: int) -> dict:
    """One person's cells, each value written in one of its forms."""

    def pick(options: list) -> str:
        return options[choice % len(options)]

    arrival = person["arrival"]
    return {
        "legal_name": person["legal_name"],
        "phone": person["phone"],
        "city": person["city"],
        "status": pick(STATUS_TEXT[person["status"]]),
        "urgency": pick(URGENCY_TEXT[person["urgency"]]),
        "needs": pick(SEPARATORS[:2]).join(pick(NEED_TEXT[kind]) for kind in person["needs"]),
        "family": _family_text(person["family"], choice),
        "arrival": arrival.strftime("%d.%m.%Y") if arrival else "",
    }


layouts = st.fixed_dictionaries(
    {
        "format": st.sampled_from(["csv", "csv", "csv", "xlsx"]),
        "delimiter": st.sampled_from([",", ";", "\t", "|"]),
        "quoting": st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
        "encoding": st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1251"]),
        "titles": st.lists(st.sampled_from(TITLES), max_size=2),
        "blank_above": st.integers(0, 2),
        "order": st.permutations(sorted(HEADERS)),
        "headers": st.fixed_dictionaries({k: st.sampled_from(v) for k, v in HEADERS.items()}),
        "choice": st.integers(0, 50),
    }
)


def _write(rows: list[dict], layout: dict, broken=None) -> tuple[bytes, int]:
    """The file, and the row number of its header. ``broken``: (row index, field, text) to
    write into one cell instead of its value."""
    order = layout["order"]
    table = [[title] for title in layout["titles"]] + [[]] * layout["blank_above"]
    header_line = len(table) + 1
    table.append([layout["headers"][name] for name in order])
    for number, person in enumerate(rows):
        cells = _cells(person, layout["choice"] + number)
        if broken is not None and broken[0] == number:
            cells[broken[1]] = broken[2]
        table.append([cells[name] for name in order])
    if layout["format"] == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        for row in table:
            workbook.active.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue(), header_line
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=layout["delimiter"], quoting=layout["quoting"])
    for row in table:
        writer.writerow(row)
    text = buffer.getvalue()
    if layout["encoding"] == "utf-16":
        return ("\ufeff" + text).encode("utf-16-le"), header_line
    return text.encode(layout["encoding"]), header_line


def _plan(data: bytes):
    table = sheets.read_table(data, PEOPLE)
    return table, sheets.check(table, PEOPLE, sheets.guess_mapping(PEOPLE, table.headers))


def _got(values_: dict) -> dict:
    arrival = values_["arrival"]
    return {
        "legal_name": values_["legal_name"],
        "phone": values_["phone"] or "",
        "city": values_["city"],
        "status": values_["status"],
        "urgency": values_["urgency"],
        "needs": sorted(kind for kind, _note in values_["needs"] or ()),
        "family": sorted((r, a if a is not None else -1) for r, a in values_["family"] or ()),
        "arrival": arrival.value if arrival else None,
    }


def _want(person: dict) -> dict:
    return {
        **person,
        "needs": sorted(person["needs"]),
        "family": sorted((r, a if a is not None else -1) for r, a in person["family"]),
    }


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(people(), min_size=1, max_size=12), layout=layouts)
def test_messy_lists_give_back_the_same_people(rows, layout):
    data, header_line = _write(rows, layout)
    table, plan = _plan(data)
    assert table.header_line == header_line
    assert [r.reasons for r in plan.rejected] == []
    assert [_got(record.values) for record in plan.records] == [_want(p) for p in rows]
    assert [record.line for record in plan.records] == list(
        range(header_line + 1, header_line + 1 + len(rows))
    )


BREAKS = {
    "status": ("на луне", "“на луне” is not a status"),
    "urgency": ("когда-нибудь", "“когда-нибудь” is not an urgency"),
    "arrival": ("31.02.2023", "31.02.2023 is not a date"),
    "family": ("жена Мария", "the family column may hold only relations"),
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(people(), min_size=1, max_size=8),
    layout=layouts,
    which=st.integers(min_value=0),
    field=st.sampled_from(sorted(BREAKS)),
)
def test_one_broken_cell_refuses_exactly_its_row(rows, layout, which, field):
    broken = which % len(rows)
    text, reason = BREAKS[field]
    data, header_line = _write(rows, layout, broken=(broken, field, text))
    _table, plan = _plan(data)
    assert [r.line for r in plan.rejected] == [header_line + 1 + broken]
    reasons = plan.rejected[0].reasons
    assert len(reasons) == 1 and reasons[0].startswith(reason)
    assert "Мария" not in reasons[0] and rows[broken]["legal_name"] not in reasons[0]
    assert len(plan.records) == len(rows) - 1


@settings(max_examples=300, deadline=None)
@given(
    family=st.lists(
        st.tuples(st.sampled_from(sorted(RELATION_TEXT)), st.one_of(st.none(), st.integers(0, 90))),
        min_size=1,
        max_size=6,
    ),
    choice=st.integers(0, 50),
)
def test_family_as_people_write_it_reads_back_the_same(family, choice):
    text = _family_text(family, choice)
    got = sorted((r, a if a is not None else -1) for r, a in values.family(text))
    assert got == sorted((r, a if a is not None else -1) for r, a in family)
