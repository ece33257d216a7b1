"""What one dossier holds, gathered for the user who makes it. Nothing here decides who may
see what: the service checks the policy first and passes only what the user may include."""

import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waystation.cases.models import Case, Identity, choice_label
from waystation.core.uploads import display_name
from waystation.evidence.models import Item, ItemKind, Testimony

from .. import readiness
from ..catalogue import Pathway
from ..texts import Localized, localized

# The identity fields a dossier may carry. Phone and exact address never leave in a dossier:
# an application does not need them and a copy in an authority's file could reach the wrong
# hands.
IDENTITY_FIELDS = ("legal_name", "transliteration", "birth_date", "document_numbers")

# Named in the reader's language, like every choice on a page.
LANGUAGES = (
    ("en", gettext_lazy("English")),
    ("de", gettext_lazy("German")),
    ("ru", gettext_lazy("Russian")),
)
LANGUAGE_CODES = tuple(code for code, _name in LANGUAGES)

AGE_RECIPIENT_INVALID = gettext_lazy(
    "This is not an age public key: it starts with “age1” and has 62 characters."
)


@dataclass(frozen=True)
class Choices:
    """What the caseworker chose on the dossier page."""

    language: str = "en"
    pathway_id: str = ""
    identity: bool = False
    recipient: str = ""  # an evidence ``Recipient`` kind, needed to include testimonies
    recipient_body: str = ""  # the court or investigative body, for ``Recipient.COURT``
    testimony_ids: tuple[str, ...] = ()
    item_ids: tuple[str, ...] = ()
    output: str = "pdf"  # "pdf", or "zip": the PDF, the chosen files and a SHA-256 manifest
    age_recipient: str = ""  # "age1…": the file encrypted to that key (the download is .age)


@dataclass(frozen=True)
class Entry:
    """One line of the chronology."""

    on: date
    order: int  # within a day: status, then risk events, then testimonies, then evidence
    text: str


@dataclass
class Contents:
    case: Case
    language: str
    prepared_by: str
    prepared_on: date
    pathway: Pathway | None
    identity: dict[str, str] | None  # field label -> value, only when the policy allows it
    documents: list[str]
    chronology: list[Entry]
    items: list[tuple[str, Item]]  # ("E1", item)
    testimonies: list[tuple[str, Testimony]]  # ("T1", testimony)
    file_names: dict[str, str] = field(default_factory=dict)  # item id -> name in the ZIP


def clean_text(text) -> str:
    """Text as the PDF shows it: no control or format characters (a right-to-left override in
    a file name must not turn what follows around), tabs as spaces, lines kept."""
    kept = []
    for char in str(text).replace("\r\n", "\n").replace("\t", " "):
        if char == "\n" or unicodedata.category(char)[0] != "C":
            kept.append(char)
    return "".join(kept).strip()


def safe_file_name(label: str, item: Item) -> str:
    """The item's name in the ZIP: its label first (unique, and never a device name Windows
    refuses), then the original name shown safely, without any folder."""
    name = display_name(item.original_name).replace("/", "_").replace("\\", "_") or "unnamed"
    return f"{label}-{name}"


def identity_block(identity: Identity) -> dict[str, str]:
    return {
        capfirst(str(Identity._meta.get_field(name).verbose_name)): getattr(identity, name)
        for name in IDENTITY_FIELDS
        if getattr(identity, name)
    }


def _corrected(record, text: str) -> str:
    return f"{text} ({_('corrected')})" if record.corrected_at is not None else text


def chronology(case: Case, items, testimonies) -> list[Entry]:
    """Status changes, risk events, testimonies taken and evidence acquired, oldest first. Call
    inside ``translation.override`` of the dossier's language: the labels are translated.
    Withdrawn steps and events are left out (their managers do that); corrected ones say so."""
    entries = []
    for step in case.status_changes.all():
        text = str(step.get_status_display())
        text = f"{text} — {step.note}" if step.note else text
        entries.append(Entry(step.on, 0, _corrected(step, text)))
    for event in case.risk_events.all():
        parts = [str(event.get_kind_display())]
        if event.place:
            parts.append(event.place)
        text = ", ".join(parts)
        if event.outcome:
            text += f". {_('Outcome')}: {event.outcome}"
        entries.append(Entry(event.on, 1, _corrected(event, text)))
    for label, testimony in testimonies:
        entries.append(Entry(testimony.interviewed_on, 2, f"{_('Testimony')} {label}"))
    for label, item in items:
        kind = choice_label(ItemKind, item.kind)
        entries.append(Entry(item.acquired_on, 3, f"{_('Evidence')} {label}: {kind}"))
    return sorted(entries, key=lambda entry: (entry.on, entry.order))


def documents(case: Case) -> list[str]:
    lines = []
    for doc in case.documents.all():
        line = f"{doc.get_kind_display()}: {doc.get_state_display()}"
        lines.append(f"{line} — {doc.note}" if doc.note else line)
    return lines


def pathway_text(pathway: Pathway, language: str) -> str:
    return localized(pathway.names, language).text


@dataclass(frozen=True)
class CriterionLine:
    """One criterion of the pathway applied for, as the dossier states it."""

    number: int
    text: Localized
    state: str
    held: list[str]  # what the dossier holds for it, strong first, weak ones marked
    missing: list[str]  # kinds of evidence that would meet it, where it is not met
    by_hand: list[str]  # kinds Waystation does not record: to check by hand


def criteria(contents: Contents) -> list[CriterionLine]:
    """Each criterion of the pathway applied for, with what the dossier holds for it and the
    gaps. Counted from what the dossier carries — the case's documents and risk events, and
    only the items and testimonies chosen for it, named by their labels (E1, T1) — never the
    family (a count of relatives proves no tie and is not the recipient's to know). Call
    inside ``translation.override`` of the dossier's language."""
    if contents.pathway is None:
        return []
    held = readiness.gather(
        contents.case, family=False, items=contents.items, testimonies=contents.testimonies
    )
    lines = []
    for number, row in enumerate(readiness.assess(contents.pathway, held).criteria, 1):
        met = row.state == readiness.State.MET
        lines.append(
            CriterionLine(
                number=number,
                text=localized(row.criterion.text, contents.language),
                state=str(row.state.label),
                held=[s.label if s.strong else f"{s.label} ({_('weak')})" for s in row.supports],
                missing=[] if met else [str(kind.label) for kind in row.wanted],
                by_hand=[] if met else [str(kind.label) for kind in row.unrecorded],
            )
        )
    return lines
