"""Dates: every date input holds an ISO value whatever the language (a Russian "06.12.2026"
is rejected by the browser and the field comes up empty); dates shown as text follow CLDR in
the reader's language, British in English, never the American month first."""

import importlib
import inspect
import pkgutil
import re
from datetime import UTC, date, datetime

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

import waystation
from waystation.core.dates import format_named

LANGUAGES = ("ru", "uk", "de", "en")
DAY = date(2026, 12, 6)


def _form_classes():
    """Every form class of every ``forms`` module of the project."""
    found = {}
    for module_info in pkgutil.walk_packages(waystation.__path__, "waystation."):
        name = module_info.name
        if name.rsplit(".", 1)[-1] != "forms" or ".tests" in name:
            continue
        module = importlib.import_module(name)
        for _attr, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name:
                found[f"{name}.{cls.__name__}"] = cls
    return found


def _date_fields():
    fields = []
    for label, cls in sorted(_form_classes().items()):
        for field_name, field in cls.base_fields.items():
            if isinstance(field, forms.DateField):
                fields.append((f"{label}.{field_name}", field_name, field))
    return fields


def test_the_scan_finds_the_forms_with_dates():
    names = {label for label, _name, _field in _date_fields()}
    assert "waystation.evidence.forms.TestimonyForm.interviewed_on" in names
    assert "waystation.evidence.forms.ItemUploadForm.acquired_on" in names
    assert "waystation.home.forms.AuditFilterForm.since" in names
    assert len(names) >= 15


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_date_input_holds_an_iso_value(language):
    wrong = []
    with translation.override(language):
        for label, name, field in _date_fields():
            html = field.widget.render(name, field.prepare_value(DAY))
            if 'type="date"' not in html or 'value="2026-12-06"' not in html:
                wrong.append(f"{label}: {html}")
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_date_inputs_accept_iso_back(language):
    with translation.override(language):
        for _label, _name, field in _date_fields():
            assert field.clean("2026-12-06") == DAY


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_testimony_and_item_forms_come_up_with_todays_date(client_for, language):
    client = client_for("documentation_officer")
    client.cookies["ws_language"] = language
    today = timezone.localdate().isoformat()
    for url, field in (
        (reverse("evidence:testimony_new"), "interviewed_on"),
        (reverse("evidence:item_new"), "acquired_on"),
    ):
        page = client.get(url).content.decode()
        tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', page).group(0)
        assert f'value="{today}"' in tag and 'type="date"' in tag


@pytest.mark.parametrize(
    ("language", "name", "shown"),
    [
        ("ru", "DATE_FORMAT", "6 декабря 2026\u202fг."),
        ("ru", "SHORT_DATE_FORMAT", "6 дек. 2026\u202fг."),
        ("ru", "WEEKDAY_DAY_FORMAT", "вс, 6 дек."),
        ("ru", "YEAR_MONTH_FORMAT", "декабрь 2026\u202fг."),
        ("uk", "DATE_FORMAT", "6 грудня 2026\u202fр."),
        ("uk", "WEEKDAY_DAY_FORMAT", "нд, 6 груд."),
        ("de", "DATE_FORMAT", "6. Dezember 2026"),
        ("de", "SHORT_DATE_FORMAT", "06.12.2026"),
        ("en", "DATE_FORMAT", "6 December 2026"),
        ("en", "SHORT_DATE_FORMAT", "6 Dec 2026"),
        ("en", "WEEKDAY_DAY_FORMAT", "Sun 6 Dec"),
    ],
)
def test_named_formats_follow_cldr(language, name, shown):
    # CLDR puts a narrow no-break space (U+202F) before "г." and "р.": it never wraps alone.
    with translation.override(language):
        rendered = Template("{{ day|date:name }}").render(Context({"day": DAY, "name": name}))
    assert rendered == shown


def test_english_times_are_british_and_in_the_local_zone(settings):
    settings.TIME_ZONE = "Asia/Almaty"  # UTC+5
    moment = datetime(2026, 12, 6, 15, 5, tzinfo=UTC)
    with translation.override("en"), timezone.override("Asia/Almaty"):
        shown = Template('{{ at|date:"SHORT_DATETIME_FORMAT" }}').render(Context({"at": moment}))
        plain = Template("{{ day }}").render(Context({"day": DAY}))
    assert shown == "6 Dec 2026, 20:05"
    assert "p.m." not in shown and "12/06" not in shown
    assert plain == "6 December 2026"


def test_machine_formats_stay_djangos():
    with translation.override("ru"):
        rendered = Template("{{ day|date:'Y-m-d' }} {{ day|date:'c' }}").render(
            Context({"day": DAY})
        )
    assert rendered == "2026-12-06 2026-12-06"


def test_format_named_in_python():
    assert format_named(DAY, "SHORT_DATE_FORMAT", language="ru") == "6 дек. 2026\u202fг."
