"""The checks the evidence services make of what they are given, before anything is
written: recipient kinds and courts, an item's source, a testimony's consent scope, texts that
must not be empty. Each raises ``EvidenceError`` with a sentence for the member."""

import uuid

from waystation.cases.errors import CaseTransferred, require_open
from waystation.core.refusals import Refusal

from .models import ItemOrigin, Recipient, Testimony


class EvidenceError(Refusal):
    """A refusal with a message for the person; nothing was written."""


class CaseHandedOver(EvidenceError):
    """The case was transferred to a partner group: it takes no new evidence here."""


def refuse_if_transferred(case) -> None:
    """Evidence's own refusal (its pages and commands show an ``EvidenceError`` beside the
    form) for the cases' rule that a transferred case is kept read-only."""
    try:
        require_open(case)
    except CaseTransferred as refused:
        raise CaseHandedOver(str(refused)) from None


def required(text: str, message: str) -> str:
    text = text.strip()
    if not text:
        raise EvidenceError(message)
    return text


def court_names(values) -> list[str]:
    """Courts by name, one per entry (or per line of a text), cleaned, each once."""
    if isinstance(values, str):
        values = values.splitlines()
    names: list[str] = []
    for value in values:
        name = " ".join(str(value).split())
        if name and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return names


def clean_kinds(kinds, courts) -> tuple[list[str], list[str]]:
    kinds = sorted(set(kinds))
    unknown = set(kinds) - set(Recipient.values)
    if unknown:
        raise EvidenceError(f"unknown recipients: {', '.join(sorted(unknown))}")
    courts = court_names(courts)
    if Recipient.COURT in kinds and not courts:
        raise EvidenceError("name the court or investigative body")
    return kinds, courts if Recipient.COURT in kinds else []


def testimony_given(value) -> Testimony | None:
    if value is None or value == "":
        return None
    if isinstance(value, Testimony):
        return value
    try:
        return Testimony.objects.select_related("case").get(pk=uuid.UUID(str(value).strip()))
    except (ValueError, Testimony.DoesNotExist):
        raise EvidenceError(f"no testimony has the id {value!r}") from None


def clean_origin(
    *, case, origin, origin_testimony, origin_organisation, terms_scope, terms_courts
) -> dict:
    """The item's source fields, checked: a witness's item names his testimony (of another
    case: the person's own items are "from the person"), an organisation's its name."""
    if origin not in ItemOrigin.values:
        raise EvidenceError(f"unknown origin {origin!r}: one of {', '.join(ItemOrigin.values)}")
    fields = {
        "origin": origin,
        "origin_testimony": None,
        "origin_organisation": "",
        "terms_scope": [],
        "terms_courts": [],
    }
    if origin == ItemOrigin.WITNESS:
        testimony = testimony_given(origin_testimony)
        if testimony is None:
            raise EvidenceError("name the testimony of the witness who gave it")
        if testimony.case_id == case.pk:
            raise EvidenceError(
                "that testimony is of the person of this case: record the item as his"
            )
        fields["origin_testimony"] = testimony
    elif origin == ItemOrigin.ORGANISATION:
        name = " ".join(origin_organisation.split())
        if not name:
            raise EvidenceError("name the organisation or partner it came from")
        kinds, courts = clean_kinds(terms_scope, terms_courts)
        fields.update(origin_organisation=name, terms_scope=kinds, terms_courts=courts)
    return fields


def clean_scope(scope, body: str) -> tuple[list[str], str]:
    scope = sorted(set(scope))
    unknown = set(scope) - set(Recipient.values)
    if unknown:
        raise EvidenceError(f"unknown recipients: {', '.join(sorted(unknown))}")
    if Recipient.COURT in scope and not body.strip():
        raise EvidenceError("name the court or investigative body")
    return scope, body.strip() if Recipient.COURT in scope else ""
