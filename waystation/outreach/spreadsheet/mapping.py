"""Which column holds which field: recognised from Russian or English headers, or chosen by the
user on the preview page."""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FIELDS = [
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
]
REQUIRED = ["date", "organisation"]
FIELD_LABELS = {
    "date": gettext_lazy("Date"),
    "organisation": gettext_lazy("Organisation"),
    "contact": gettext_lazy("Contact person"),
    "channel": gettext_lazy("Channel"),
    "response": gettext_lazy("Response"),
    "response_date": gettext_lazy("Response date"),
    "comment": gettext_lazy("Comment"),
    "subject": gettext_lazy("Subject"),
    "kind": gettext_lazy("Kind"),
    "country": gettext_lazy("Country"),
    "city": gettext_lazy("City"),
    "case": gettext_lazy("On behalf of a case (codename)"),
}

_SYNONYMS = {
    "date": ["дата", "date", "дата обращения", "date of approach", "when", "когда", "sent"],
    "organisation": [
        "организация",
        "organisation",
        "organization",
        "кому",
        "адресат",
        "org",
        "recipient",
        "учреждение",
    ],
    "contact": ["контактное лицо", "contact person", "contact", "контакт", "person"],
    "channel": ["канал", "channel", "способ", "how", "via"],
    "response": ["ответ", "response", "answer", "reply", "результат", "result"],
    "response_date": [
        "дата ответа",
        "response date",
        "date of response",
        "answered on",
        "reply date",
        "answer date",
    ],
    "comment": [
        "комментарий",
        "comment",
        "comments",
        "notes",
        "note",
        "примечание",
        "примечания",
        "заметки",
    ],
    "subject": ["тема", "subject", "topic", "по какому вопросу"],
    "kind": ["тип", "kind", "type", "вид"],
    "country": ["страна", "country"],
    "city": ["город", "city"],
    "case": ["case", "кейс", "codename", "кодовое имя", "для кого", "on behalf of", "за кого"],
    # Written by our own export, so that the kind survives a round trip exactly.
    "response_kind": ["response kind", "тип ответа"],
}


def _normal(header: str) -> str:
    return re.sub(r"[\W_]+", " ", str(header).casefold()).strip()


_LOOKUP = {_normal(name): fieldname for fieldname, names in _SYNONYMS.items() for name in names}


class MappingError(Exception):
    pass


@dataclass
class Mapping:
    columns: dict[str, int] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [name for name in REQUIRED if name not in self.columns]


def guess_mapping(headers: list[str]) -> Mapping:
    columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = _LOOKUP.get(_normal(header))
        if name and name not in columns:
            columns[name] = index
    return Mapping(columns)


def mapping_from_choice(headers: list[str], choice: dict[str, int]) -> Mapping:
    """The user's own choice of columns, checked."""
    used = [index for index in choice.values()]
    if len(used) != len(set(used)):
        raise MappingError(_("Each column can hold only one field."))
    if any(not 0 <= index < len(headers) for index in used):
        raise MappingError(_("That column does not exist in the file."))
    mapping = Mapping({name: index for name, index in choice.items() if name in FIELDS})
    if mapping.missing:
        raise MappingError(_("Choose the columns for the date and the organisation."))
    return mapping
