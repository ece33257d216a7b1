"""The dossier states each criterion of the pathway applied for: what the dossier holds for it,
how strongly, and what is missing — counted from what the dossier carries, in its language."""

import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from waystation.cases import services as cases
from waystation.cases.models import DocumentKind, DocumentState, FamilyMember, RiskKind
from waystation.cases.tests.factories import make_case
from waystation.evidence.models import Item, ItemKind, Testimony, Verification
from waystation.pathways import catalogue
from waystation.pathways.dossier import contents as dossier
from waystation.pathways.dossier.pdf import render
from waystation.pathways.models import EvidenceMark

pytestmark = pytest.mark.django_db


def flat_pdf(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def case(cast):
    found = make_case(caseworker=cast["caseworker"], lawyer=cast["lawyer"])
    coordinator = cast["coordinator"]
    cases.risk_record(
        actor=coordinator, case=found, kind=RiskKind.WANTED, on=date(2024, 1, 15), place="Moscow"
    )
    cases.document_record(
        actor=coordinator,
        case=found,
        kind=DocumentKind.FOREIGN_PASSPORT,
        state=DocumentState.HELD,
    )
    FamilyMember.objects.create(case=found, relation="wife", age=30)
    return found


def add_item(case, kind, verification, on):
    return Item.objects.create(
        case=case,
        kind=kind,
        blob="0" * 64,
        sha256="0" * 64,
        size=1,
        media_type="application/octet-stream",
        verification=verification,
        acquired_on=on,
    )


def criteria_section(text: str, heading: str, next_heading: str) -> str:
    return text.split(heading, 1)[1].split(next_heading, 1)[0]


def test_the_dossier_lists_each_criterion_with_what_it_holds_and_the_gaps(client_for, case):
    response = client_for("lawyer").post(
        reverse("dossier:case", kwargs={"pk": case.pk}),
        {"language": "en", "output": "pdf", "pathway": "de-aufenthg-22"},
    )
    assert response.status_code == 200
    text = flat_pdf(b"".join(response.streaming_content))
    section = criteria_section(text, "Criteria of the pathway", "Chronology")
    pathway = catalogue.current().get("de-aufenthg-22")
    starts = [section.find(f"{n}. {c.text['en'][:40]}") for n, c in enumerate(pathway.criteria, 1)]
    assert -1 not in starts and starts == sorted(starts), section
    anti_war, danger, current, ties, identity = (
        section[a:b] for a, b in zip(starts, [*starts[1:], len(section)], strict=True)
    )
    assert "State Missing" in anti_war
    assert "What would meet it Proof of anti-war views or activity" in anti_war
    assert "State Met" in danger and "Risk event: Wanted listing" in danger
    assert "State Met" in current  # the wanted listing reaches across borders
    assert "State Met" in identity and "Document: Foreign travel passport (Held)" in identity
    assert "State Missing" in ties
    assert "Proof of ties to the destination country" in ties
    assert "check by hand:" in ties and "A sponsor or supporter in the destination" in ties
    # The family recorded on the case is not the recipient's to know.
    assert "Family members" not in text
    # Without a pathway there is no such section.
    plain = client_for("lawyer").post(
        reverse("dossier:case", kwargs={"pk": case.pk}), {"language": "en", "output": "pdf"}
    )
    assert "Criteria of the pathway" not in flat_pdf(b"".join(plain.streaming_content))


def _contents(case, language, items=(), testimonies=()):
    return dossier.Contents(
        case=case,
        language=language,
        prepared_by="lawyer",
        prepared_on=date(2026, 12, 1),
        pathway=catalogue.current().get("de-aufenthg-22"),
        identity=None,
        documents=[],
        chronology=[],
        items=list(items),
        testimonies=list(testimonies),
    )


def test_only_what_the_dossier_carries_counts_named_by_its_label(cast, case):
    video = add_item(case, ItemKind.VIDEO, Verification.VERIFIED, date(2024, 3, 1))
    letter = add_item(case, ItemKind.DOCUMENT, Verification.UNVERIFIED, date(2024, 4, 1))
    left_out = add_item(case, ItemKind.PHOTO, Verification.VERIFIED, date(2024, 2, 1))
    for item, kind in (
        (video, "anti_war_activity"),
        (letter, "connection_to_country"),
        (left_out, "connection_to_country"),
    ):
        EvidenceMark.objects.create(case=case, item=item, kind=kind, marked_by=cast["lawyer"])
    statement = Testimony.objects.create(
        case=case,
        interviewer=cast["lawyer"],
        recorded_by=cast["lawyer"],
        language="ru",
        interviewed_on=date(2024, 5, 1),
    )
    held = _contents(case, "en", [("E1", video), ("E2", letter)], [("T1", statement)])
    with translation.override("en"):
        lines = {line.number: line for line in dossier.criteria(held)}
        text = flat_pdf(render(held))
    assert lines[1].state == "Met" and lines[1].held == ["Evidence E1: Video, Verified"]
    assert lines[1].missing == []
    # The letter is unverified: the tie is partly shown; the photo left out counts for nothing.
    assert lines[4].state == "Partly met"
    assert lines[4].held == ["Evidence E2: Document, Unverified (weak)"]
    assert "Proof of family ties" in lines[4].missing
    assert any(label.startswith("Testimony T1, taken") for label in lines[2].held)
    assert "Evidence E1: Video, Verified" in text and "Family members" not in text

    # In Russian: the heading, the states and the criteria as the catalogue writes them.
    with translation.override("ru"):
        russian = flat_pdf(render(_contents(case, "ru")))
        heading = gettext("Criteria of the pathway")
    assert heading != "Criteria of the pathway" and heading in russian
    pathway = catalogue.current().get("de-aufenthg-22")
    assert f"1. {pathway.criteria[0].text['ru'][:40]}" in russian
    assert "Отсутствует" in russian
