"""What a cell of a list of people becomes, in the four languages people write them in."""

import pytest
from django.utils import translation

from waystation.cases.imports import values
from waystation.core.spreadsheets import CellError


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("в пути", "in_transit"),
        ("В транзите", "in_transit"),
        ("unterwegs", "in_transit"),
        ("у транзиті", "in_transit"),
        ("Задержан 12 марта", "detained"),  # a longer note after a known word
        ("задержана", "detained"),
        ("in Haft", "detained"),
        ("під вартою", "detained"),
        ("Освобождён", "released"),
        ("freigelassen", "released"),
        ("Уехал в Германию", "relocated"),
        ("relocated", "relocated"),
        ("экстрадирован", "extradited"),
        ("Пересёк границу", "crossed"),
        ("на родине", "in_origin"),
        ("Закрыто.", "closed"),
        ("In the origin country", "in_origin"),  # the model's own label
        ("in_transit", "in_transit"),  # the stored value, as our own export writes it
    ],
)
def test_status_words(text, status):
    assert values.status(text) == status


def test_status_labels_in_every_language_of_the_site():
    with translation.override("ru"):
        label = str(values.Status.DETAINED.label)
    assert values.status(label) == "detained"


def test_an_unknown_status_names_the_choices():
    with pytest.raises(CellError, match="“на луне” is not a status; use one of: In the origin"):
        values.status("на луне")


@pytest.mark.parametrize(
    ("text", "urgency"),
    [
        ("стабильно", 1),
        ("low", 1),
        ("2", 2),
        ("наблюдать", 2),
        ("Срочно!", 3),
        ("dringend", 3),
        ("терміново", 3),
        ("в опасности", 4),
        ("Kritisch", 4),
        ("4", 4),
        (4, 4),
        (3.0, 3),
    ],
)
def test_urgency_words_and_numbers(text, urgency):
    assert values.urgency(text) == urgency


def test_an_urgency_out_of_range_is_refused():
    with pytest.raises(CellError, match=r"“7” is not an urgency; use one of: .*, or 1 to 4"):
        values.urgency("7")


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("жильё, деньги", [("housing", ""), ("money", "")]),
        ("адвокат; передачи", [("lawyer", ""), ("parcels", "")]),
        ("Unterkunft und Anwalt", [("housing", ""), ("lawyer", "")]),
        ("житло та ліки", [("housing", ""), ("medical", "")]),
        ("housing / doctor / housing", [("housing", ""), ("medical", "")]),
        ("деньги, документы, работа", [("money", ""), ("other", "документы, работа")]),
        ("нет", []),
        ("-", []),
    ],
)
def test_needs_each_kind_once_and_nothing_written_lost(text, needs):
    assert list(values.needs(text)) == needs


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("жена и 2 детей (5 и 8 лет)", [("wife", None), ("child", 5), ("child", 8)]),
        ("сын 5, дочь", [("son", 5), ("daughter", None)]),
        ("2 детей 5 и 8", [("child", 5), ("child", 8)]),
        ("сын 5 дочь 3", [("son", 5), ("daughter", 3)]),
        ("жена 2 детей", [("wife", None), ("child", None), ("child", None)]),
        ("двое детей", [("child", None), ("child", None)]),
        ("жена с ребёнком", [("wife", None), ("child", None)]),
        ("родители", [("mother", None), ("father", None)]),
        ("Ehefrau und 2 Kinder", [("wife", None), ("child", None), ("child", None)]),
        ("дружина, син 3", [("wife", None), ("son", 3)]),
        ("wife, two sons (4, 9)", [("wife", None), ("son", 4), ("son", 9)]),
        ("семья из 3 человек", [("relative", None)] * 3),
        ("3", [("relative", None)] * 3),
        ("2х детей", [("child", None), ("child", None)]),
        ("нет", []),
        ("один", []),
        ("allein", []),
    ],
)
def test_family_relations_counts_and_ages(text, family):
    assert list(values.family(text)) == family


@pytest.mark.parametrize(
    "text", ["жена Мария", "wife Anna and son", "сын (пять)", "25 детей", "сын 150"]
)
def test_a_family_cell_with_a_name_or_nonsense_is_refused_without_quoting_it(text):
    with pytest.raises(CellError) as refused:
        values.family(text)
    reason = str(refused.value)
    assert "Мария" not in reason and "Anna" not in reason
    assert refused.value.safe == reason  # the same words where the cell is never shown


@pytest.mark.parametrize(
    ("text", "codename"),
    [("Amber Falcon 27", "amber-falcon-27"), ("quiet_river-2", "quiet-river-2")],
)
def test_codenames_as_people_type_them(text, codename):
    assert values.codename(text) == codename


def test_a_codename_in_another_script_is_refused():
    with pytest.raises(CellError, match="“Сокол 1” is not a codename: Latin letters"):
        values.codename("Сокол 1")
