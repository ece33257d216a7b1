"""A list of people as the import engine reads it: the fields of a case, and the columns that
name the person, which go into the identity vault and nowhere else."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from waystation.core.spreadsheets.schema import Field, Schema
from waystation.core.spreadsheets.values import Dates, Text

from . import values
from .vocabulary import CASE_HEADERS, IDENTITY_HEADERS

# Columns of the file that fill the identity vault: vault field -> schema fields, joined by a
# space in this order ("Фамилия", "Имя", "Отчество" become one legal name).
VAULT = {
    "legal_name": ("surname", "legal_name", "patronymic"),
    "transliteration": ("transliteration",),
    "callsign": ("callsign",),
    "birth_date": ("birth_date",),
    "phone": ("phone",),
    "document_numbers": ("document_numbers",),
    "address": ("address",),
}


def _identity(name, label, max_chars=300):
    return Field(
        name,
        label,
        synonyms=IDENTITY_HEADERS[name],
        parser=Text(max_chars=max_chars, single_line=name != "address"),
        sensitive=True,
    )


CASE_FIELDS = (
    Field("codename", _("Codename"), synonyms=CASE_HEADERS["codename"], parser=values.codename),
    Field(
        "city",
        _("City"),
        synonyms=CASE_HEADERS["city"],
        parser=Text(max_chars=120, single_line=True),
    ),
    Field("status", _("Status"), synonyms=CASE_HEADERS["status"], parser=values.status),
    Field("urgency", _("Urgency"), synonyms=CASE_HEADERS["urgency"], parser=values.urgency),
    Field("needs", _("Needs"), synonyms=CASE_HEADERS["needs"], parser=values.needs),
    Field(
        "languages",
        _("Languages"),
        synonyms=CASE_HEADERS["languages"],
        parser=Text(max_chars=200, single_line=True),
    ),
    Field("family", _("Family"), synonyms=CASE_HEADERS["family"], parser=values.family),
    Field(
        "arrival",
        _("Date of arrival"),
        synonyms=CASE_HEADERS["arrival"],
        parser=Dates(earliest=date(1990, 1, 1)),
    ),
    Field("notes", _("Notes"), synonyms=CASE_HEADERS["notes"], parser=Text(max_chars=10_000)),
)
IDENTITY_FIELDS = (
    _identity("legal_name", _("Legal name")),
    _identity("surname", _("Surname")),
    _identity("patronymic", _("Patronymic")),
    _identity("transliteration", _("Name in Latin letters")),
    _identity("callsign", _("Callsign or nickname"), 200),
    _identity("birth_date", _("Birth date"), 40),
    _identity("phone", _("Phone"), 100),
    _identity("document_numbers", _("Document numbers"), 1000),
    _identity("address", _("Exact address"), 1000),
)
IDENTITY_NAMES = frozenset(f.name for f in IDENTITY_FIELDS)

# Private: a column the list keeps that no field recognises may name a person too.
PEOPLE = Schema(CASE_FIELDS + IDENTITY_FIELDS, private=True)
