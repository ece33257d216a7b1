"""The outreach log as the import engine reads it (core/spreadsheets): one approach a row, its
fields recognised by the headers people write in English, Russian, German and Ukrainian, and
the rows turned into what ``services.outreach_import`` writes."""

from functools import cache, partial
from operator import itemgetter
from typing import NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waystation.cases.codenames import normalise
from waystation.core import spreadsheets as sheets

from .classify import RESPONSE_KINDS, channel, response_kind
from .names import organisation_key


def _one_line(value) -> str:
    text = " ".join(sheets.cell_text(value).split())
    if len(text) > 300:
        raise sheets.CellError(_("the cell is longer than %(n)d characters") % {"n": 300})
    return text


def _codename(value) -> str:
    return normalise(sheets.cell_text(value))


def _response_date_order(values: dict) -> list[str]:
    sent, answered = values.get("date"), values.get("response_date")
    if sent and answered and answered.value < sent.value:
        return [_("the response date is before the approach date")]
    return []


_TEXT = sheets.Text(max_chars=2000)

SCHEMA = sheets.Schema(
    fields=[
        sheets.Field(
            "date",
            gettext_lazy("Date"),
            required=True,
            parser=sheets.Dates(),
            synonyms={
                "en": ["date", "date of approach", "sent", "sent on", "when", "date sent"],
                "ru": ["дата", "дата обращения", "когда", "дата письма", "дата отправки"],
                "de": ["datum", "gesendet", "wann", "datum der anfrage"],
                "uk": ["дата", "дата звернення", "коли", "дата листа"],
            },
        ),
        sheets.Field(
            "organisation",
            gettext_lazy("Organisation"),
            required=True,
            parser=sheets.Function(_one_line, empty=""),
            synonyms={
                "en": ["organisation", "organization", "org", "recipient", "to", "agency",
                       "institution", "addressee", "embassy"],
                "ru": ["организация", "куда", "учреждение", "адресат", "получатель",
                       "ведомство", "посольство", "фонд"],
                "de": ["organisation", "wohin", "einrichtung", "empfänger", "behörde",
                       "stelle", "botschaft"],
                "uk": ["організація", "куди", "установа", "адресат", "одержувач", "відомство"],
            },
            weak_synonyms=["кому", "to whom", "an wen", "whom"],
        ),
        sheets.Field(
            "contact",
            gettext_lazy("Contact person"),
            parser=sheets.Function(_one_line, empty=""),
            synonyms={
                "en": ["contact person", "contact", "person", "to whom", "whom"],
                "ru": ["контактное лицо", "контакт", "кому", "с кем", "имя контакта"],
                "de": ["ansprechpartner", "ansprechperson", "kontakt", "kontaktperson",
                       "an wen"],
                "uk": ["контактна особа", "контакт", "кому", "з ким"],
            },
        ),
        sheets.Field(
            "channel",
            gettext_lazy("Channel"),
            parser=sheets.Function(channel, empty="other"),
            synonyms={
                "en": ["channel", "how", "via", "means", "medium"],
                "ru": ["канал", "способ", "как", "через", "способ связи"],
                "de": ["kanal", "wie", "über", "weg"],
                "uk": ["канал", "спосіб", "як", "через", "спосіб зв'язку"],
            },
        ),
        sheets.Field(
            "response",
            gettext_lazy("Response"),
            parser=_TEXT,
            synonyms={
                "en": ["response", "answer", "reply", "result", "outcome"],
                "ru": ["ответ", "результат", "что ответили", "итог обращения"],
                "de": ["antwort", "ergebnis", "rückmeldung"],
                "uk": ["відповідь", "результат", "що відповіли"],
            },
        ),
        sheets.Field(
            "response_date",
            gettext_lazy("Response date"),
            parser=sheets.Dates(),
            name_in_reasons=True,
            synonyms={
                "en": ["response date", "date of response", "answered on", "reply date",
                       "answer date", "when answered", "replied on"],
                "ru": ["дата ответа", "когда ответили", "ответили", "дата получения ответа"],
                "de": ["antwortdatum", "datum der antwort", "beantwortet am", "antwort am"],
                "uk": ["дата відповіді", "коли відповіли", "відповіли"],
            },
        ),
        sheets.Field(
            "comment",
            gettext_lazy("Comment"),
            parser=_TEXT,
            synonyms={
                "en": ["comment", "comments", "notes", "note", "remarks"],
                "ru": ["комментарий", "комментарии", "примечание", "примечания", "заметки"],
                "de": ["kommentar", "bemerkung", "bemerkungen", "notiz", "notizen", "anmerkung"],
                "uk": ["коментар", "коментарі", "примітка", "примітки", "нотатки"],
            },
        ),
        sheets.Field(
            "subject",
            gettext_lazy("Subject"),
            parser=_TEXT,
            synonyms={
                "en": ["subject", "topic", "about", "matter"],
                "ru": ["тема", "по какому вопросу", "вопрос", "суть"],
                "de": ["betreff", "thema", "anliegen"],
                "uk": ["тема", "питання", "суть"],
            },
        ),
        sheets.Field(
            "kind",
            gettext_lazy("Kind"),
            parser=sheets.Function(_one_line, empty=""),
            synonyms={
                "en": ["kind", "type", "kind of organisation"],
                "ru": ["тип", "вид", "тип организации"],
                "de": ["art", "typ"],
                "uk": ["тип", "вид", "тип організації"],
            },
        ),
        sheets.Field(
            "country",
            gettext_lazy("Country"),
            parser=sheets.Function(_one_line, empty=""),
            synonyms={"en": ["country"], "ru": ["страна"], "de": ["land"], "uk": ["країна"]},
        ),
        sheets.Field(
            "city",
            gettext_lazy("City"),
            parser=sheets.Function(_one_line, empty=""),
            synonyms={"en": ["city", "town"], "ru": ["город"], "de": ["stadt", "ort"],
                      "uk": ["місто"]},
        ),
        sheets.Field(
            "case",
            gettext_lazy("On behalf of a case (codename)"),
            parser=sheets.Function(_codename, empty=""),
            synonyms={
                "en": ["case", "codename", "on behalf of", "for whom"],
                "ru": ["кейс", "дело", "кодовое имя", "для кого", "за кого"],
                "de": ["fall", "codename", "für wen"],
                "uk": ["кейс", "справа", "кодове ім'я", "для кого"],
            },
        ),
        # Written by our own export, so that the kind survives a round trip exactly.
        sheets.Field(
            "response_kind",
            gettext_lazy("Response kind"),
            parser=sheets.Function(_one_line, empty=""),
            synonyms=["response kind", "тип ответа", "art der antwort", "тип відповіді"],
        ),
    ],
    row_check=_response_date_order,
)


class ApproachRow(NamedTuple):  # a tuple, not a frozen dataclass: a fifth of the cost to build
    line: int
    date: sheets.ParsedDate
    organisation: str
    organisation_key: str
    contact: str = ""
    channel: str = "other"
    response_kind: str = "none"
    response_text: str = ""
    response_date: sheets.ParsedDate | None = None
    comment: str = ""
    subject: str = ""
    kind: str = ""
    country: str = ""
    city: str = ""
    case: str = ""  # a case's codename, normalised; empty: for the group


_FIELDS = itemgetter(
    "date",
    "organisation",
    "contact",
    "channel",
    "response",
    "response_date",
    "comment",
    "subject",
    "kind",
    "country",
    "city",
    "case",
    "response_kind",
)
# ApproachRow(...) and ._make run Python code; this builds the same tuple in C. It applies no
# defaults: give every field, in the order of ApproachRow._fields.
_approach_row = partial(tuple.__new__, ApproachRow)


@sheets.collector_paused()
def approach_rows(records) -> list[ApproachRow]:
    """The checked records as the rows ``outreach_import`` writes. A log repeats the same
    organisations and answers thousands of times: each is normalised or classified once."""
    key = cache(organisation_key)
    answer = cache(response_kind)
    rows = []
    for line, values in records:
        (
            sent,
            organisation,
            contact,
            how,
            text,
            answered,
            comment,
            subject,
            kind,
            country,
            city,
            case,
            stated,
        ) = _FIELDS(values)
        rows.append(
            _approach_row(
                (
                    line,
                    sent,
                    organisation,
                    key(organisation),
                    contact,
                    how,
                    # Our own exports state the kind; otherwise it is read from the free text.
                    stated if stated in RESPONSE_KINDS else answer(text),
                    text,
                    answered,
                    comment,
                    subject,
                    kind,
                    country,
                    city,
                    case,
                )
            )
        )
    return rows


def organisation_count(records) -> int:
    key = cache(organisation_key)
    return len({key(values["organisation"]) for _line, values in records})
