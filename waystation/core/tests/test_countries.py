"""Countries: CLDR names in the nominative, in the reader's alphabetical order, on the intake
portal and wherever a country is chosen or shown."""

import html
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from waystation.core.countries import collation_key, country_choices, country_name
from waystation.outreach import services as outreach_services


def _options(page: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
    return [
        (code, html.unescape(label))
        for code, label in re.findall(r'<option value="([A-Z]{2})"[^>]*>([^<]*)</option>', select)
    ]


def _portal_form(language: str) -> str:
    client = Client()
    client.cookies["ws_language"] = language
    return client.get(reverse("intake:new")).content.decode()


def _before(labels: list[str], *names: str) -> bool:
    positions = [labels.index(name) for name in names]
    return positions == sorted(positions)


@pytest.mark.django_db
def test_the_portal_lists_russian_names_in_the_nominative_in_russian_order():
    options = _options(_portal_form("ru"), "country")
    labels = [label for _code, label in options]
    assert len(labels) > 240
    assert {"Либерия", "Мьянма (Бирма)", "Новая Каледония", "Сан-Марино"} <= set(labels)
    assert not {"Либерии", "Мьянмы", "Новой Каледонии", "Сан - Марино"} & set(labels)
    assert labels[0] == "Австралия" and labels[-1] == "Япония"
    # By the Russian name, not the English one: Ghana before Germany, Japan last.
    assert _before(labels, "Гана", "Германия", "Казахстан", "Киргизия", "Таджикистан")
    assert labels == sorted(labels, key=collation_key)
    assert dict(options)["KZ"] == "Казахстан"


@pytest.mark.django_db
def test_ukrainian_letters_take_their_place_in_the_alphabet():
    labels = [label for _code, label in _options(_portal_form("uk"), "country")]
    # A code-point sort would put Єгипет, Ізраїль and Італія before Австралія.
    assert labels[0] == "Австралія"
    assert _before(labels, "Естонія", "Єгипет", "Замбія", "Зімбабве", "Ізраїль", "Йорданія")


@pytest.mark.django_db
def test_german_and_english_lists():
    german = [label for _code, label in _options(_portal_form("de"), "country")]
    assert _before(german, "Afghanistan", "Ägypten", "Albanien")  # Ä with A, not after Z
    english = [label for _code, label in _options(_portal_form("en"), "country")]
    assert _before(english, "Germany", "Ghana") and english[-1] == "Zimbabwe"


@pytest.mark.django_db
def test_stored_countries_show_the_cldr_name(client_for, cast):
    organisation = outreach_services.organisation_create(
        actor=cast["coordinator"], name="Kazakh Bureau", country="LR"
    )
    with translation.override("ru"):
        assert organisation.country.name == "Либерия"
    client = client_for("coordinator")
    client.cookies["ws_language"] = "ru"
    page = client.get(reverse("outreach:organisation", args=[organisation.pk])).content.decode()
    assert "Либерия" in page and "Либерии" not in page


def test_helpers():
    assert country_name("SM", "ru") == "Сан-Марино"
    assert country_name("de", "de") == "Deutschland"
    assert [name for _code, name in country_choices(["JP", "AU", "DE"], "ru")] == [
        "Австралия",
        "Германия",
        "Япония",
    ]
