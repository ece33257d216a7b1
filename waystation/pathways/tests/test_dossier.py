"""The dossier of a case: a PDF that opens, with the chronology in date order and Cyrillic
that comes out as typed; identity only for users the policy lets include it, whatever the
form asks; a ZIP with the chosen files bit for bit and a manifest that matches; every dossier
audited; the cover in the language chosen."""

import hashlib
import io
import re
import zipfile

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases import services as cases
from waystation.cases.models import DocumentKind, Status
from waystation.cases.tests.factories import make_case
from waystation.evidence import services as evidence
from waystation.evidence.models import CustodyAction, CustodyEntry, Recipient

from .dossier_data import (
    LEGAL_NAME,
    PHOTO,
    PLACE,
    SCAN,
    STATEMENT,
    body,
    flat,
    make,
    pdf_text,
    url,
)

pytestmark = pytest.mark.django_db

def test_the_pdf_opens_with_the_chronology_in_order_and_cyrillic_as_typed(
    client_for, case, items, testimony
):
    response = make(
        client_for("lawyer"),
        case,
        pathway="de-aufenthg-22",
        items=[str(item.pk) for item in items],
        recipient=Recipient.NGO,
        testimonies=[str(testimony.pk)],
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = flat(pdf_text(body(response)))
    assert case.codename in text
    expected_order = [
        "2024-01-15 Wanted listing, Moscow",
        "2024-02-01 Evidence E1",
        "2024-03-02 Crossed the border",
        "2024-04-01 Evidence E2",
        "2024-05-01 Testimony T1",
        "2024-05-10 Detained",
        f"2024-06-20 Court hearing, {PLACE}",
    ]
    positions = [text.find(entry) for entry in expected_order]
    assert -1 not in positions, (expected_order, text)
    assert positions == sorted(positions)
    assert PLACE in text and STATEMENT in text
    assert "военный билет.txt" in text
    for item in items:
        assert item.sha256 in text.replace(" ", "")
    assert "Prepared with Waystation — check against originals" in text
    assert "Page 1 of" in text
    assert "lawyer" in text  # who prepared it


def test_identity_only_for_a_user_the_policy_allows(client_for, case):
    lawyer = make(client_for("lawyer"), case, identity="on")
    assert LEGAL_NAME in flat(pdf_text(body(lawyer)))
    assert "+996" not in pdf_text(body(make(client_for("coordinator"), case, identity="on")))

    caseworker = client_for("caseworker")
    page = caseworker.get(url(case)).content.decode()
    assert 'name="identity"' not in page
    tampered = make(caseworker, case, identity="on")
    assert tampered.status_code == 200
    assert LEGAL_NAME not in pdf_text(body(tampered))
    row = AuditEvent.objects.filter(event=Event.CASE_EXPORTED).first()
    assert row.actor.username == "caseworker" and row.data["identity"] is False


def test_the_service_itself_refuses_identity_to_a_caseworker(cast, case):
    from waystation.pathways.dossier import services
    from waystation.pathways.dossier.contents import Choices

    with pytest.raises(services.DossierRefused):
        services.dossier_build(actor=cast["caseworker"], case=case, choices=Choices(identity=True))
    assert not AuditEvent.objects.filter(event=Event.CASE_EXPORTED).exists()


def test_the_zip_holds_the_files_bit_for_bit_and_a_matching_manifest(client_for, case, items):
    for name, identity in (("lawyer", True), ("caseworker", False)):
        response = make(
            client_for(name),
            case,
            output="zip",
            identity="on",
            items=[str(item.pk) for item in items],
            recipient=Recipient.AUTHORITY,
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert response.streaming  # the files go out as they are read from the blob store
        archive = zipfile.ZipFile(io.BytesIO(body(response)))
        assert archive.testzip() is None
        names = archive.namelist()
        root = names[0].split("/")[0]
        assert root.startswith(f"dossier-{case.codename}")
        files = {n.removeprefix(root + "/"): archive.read(n) for n in names}
        assert files["files/E1-военный билет.txt"] == SCAN
        assert files["files/E2-photo 1.jpg"] == PHOTO
        manifest = dict(
            reversed(line.split("  ", 1))
            for line in files.pop("SHA256SUMS.txt").decode().splitlines()
        )
        assert manifest == {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}
        assert (LEGAL_NAME in pdf_text(files["dossier.pdf"])) is identity
    exported = CustodyEntry.objects.filter(action=CustodyAction.EXPORTED)
    assert exported.count() == 4 and {e.item_id for e in exported} == {i.pk for i in items}


def test_every_dossier_is_audited_with_ids_not_content(client_for, cast, case, items, testimony):
    make(
        client_for("coordinator"),
        case,
        identity="on",
        items=[str(items[0].pk)],
        recipient=Recipient.NGO,
        testimonies=[str(testimony.pk)],
        language="ru",
    )
    row = AuditEvent.objects.get(event=Event.CASE_EXPORTED)
    assert row.actor == cast["coordinator"] and row.object_id == str(case.pk)
    assert row.data["format"] == "dossier_pdf" and row.data["identity"] is True
    assert row.data["items"] == [str(items[0].pk)]
    assert row.data["testimonies"] == [str(testimony.pk)]
    assert row.data["language"] == "ru" and row.data["files"] is False
    assert LEGAL_NAME not in str(row.data) and "Иван" not in str(row.data)


@pytest.mark.parametrize("name", ["treasurer", "screener", "documentation_officer"])
def test_roles_without_dossiers_are_refused(client_for, case, name):
    assert client_for(name).get(url(case)).status_code == 403
    assert make(client_for(name), case).status_code == 403


def test_a_case_the_user_cannot_see_is_not_found(client_for, cast):
    other = make_case(caseworker=None, lawyer=None)
    for name in ("caseworker", "lawyer"):
        client = client_for(name)
        assert client.get(url(other)).status_code == 404
        assert make(client, other).status_code == 404
    assert (
        client_for("caseworker").get(reverse("dossier:case", kwargs={"pk": 99999})).status_code
        == 404
    )
    assert not AuditEvent.objects.filter(event=Event.CASE_EXPORTED).exists()


def test_the_cover_is_in_the_language_chosen(client_for, cast, case):
    cases.document_record(
        actor=cast["coordinator"], case=case, kind=DocumentKind.MILITARY_ID, state="held"
    )
    client = client_for("lawyer")
    headings, statuses = set(), set()
    for language in ("en", "de", "ru"):
        text = flat(pdf_text(body(make(client, case, language=language))))
        with translation.override(language):
            heading, status = gettext("Documents"), str(Status(case.status).label)
            military_id = str(DocumentKind.MILITARY_ID.label)
        assert heading in text and status in text and military_id in text, (language, text)
        headings.add(heading)
        statuses.add(status)
    assert headings == {"Documents", "Dokumente", "Документы"}
    assert statuses == {"In transit", "Unterwegs", "В пути"}


def test_testimonies_only_within_consent_and_the_form_keeps_what_was_chosen(
    client_for, case, items, testimony
):
    client = client_for("caseworker")
    chosen = {"items": [str(items[1].pk)], "testimonies": [str(testimony.pk)], "output": "zip"}
    missing = make(client, case, **chosen)
    assert missing.status_code == 400
    page = missing.content.decode()
    assert "Choose who receives the dossier" in page
    for pk in (items[1].pk, testimony.pk):  # what was chosen is still chosen
        assert re.search(rf'<input type="checkbox"[^>]*value="{pk}"[^>]*checked', page)
    assert '<option value="zip" selected>' in page

    refused = make(client, case, recipient=Recipient.MEDIA, **chosen)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Refused, nothing was exported." in page
    assert "witness consented to: NGOs" in page
    assert "the person of the case consented to: NGOs, authorities deciding an application" in page
    assert not AuditEvent.objects.filter(event=Event.CASE_EXPORTED).exists()
    refusal = AuditEvent.objects.get(event=Event.EVIDENCE_EXPORT_REFUSED).data
    assert refusal["way"] == "dossier_zip" and refusal["recipient"] == "media"
    assert refusal["items"] == [str(items[1].pk)]
    assert refusal["testimonies"] == [str(testimony.pk)]
    assert not CustodyEntry.objects.filter(action=CustodyAction.EXPORTED).exists()

    allowed = make(client, case, recipient=Recipient.NGO, **chosen)
    assert allowed.status_code == 200


def test_the_case_page_links_to_the_dossier(client_for, case):
    assert (
        url(case)
        in client_for("caseworker")
        .get(reverse("cases:case", kwargs={"pk": case.pk}))
        .content.decode()
    )


def test_an_item_of_another_case_cannot_be_slipped_in(client_for, cast, case, items):
    other = make_case(caseworker=cast["caseworker"])
    foreign = evidence.item_ingest_stream(
        actor=cast["documentation_officer"],
        case=other,
        source=io.BytesIO(b"not for this dossier"),
        original_name="other.txt",
    )
    response = make(
        client_for("caseworker"),
        case,
        output="zip",
        items=[str(foreign.pk)],
        recipient=Recipient.AUTHORITY,
    )
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(event=Event.CASE_EXPORTED).exists()


def test_a_testimonys_corrections_travel_with_its_statement(client_for, cast, case, testimony):
    correction = "Не 14, а 15 марта: ошибка переводчика."
    evidence.testimony_add_correction(
        actor=cast["documentation_officer"],
        testimony=testimony,
        text=correction,
        reason="Второе интервью",
    )
    response = make(
        client_for("lawyer"),
        case,
        pathway="de-aufenthg-22",
        recipient=Recipient.NGO,
        testimonies=[str(testimony.pk)],
    )
    assert response.status_code == 200
    text = flat(pdf_text(body(response)))
    assert STATEMENT in text  # the statement as taken, never overwritten
    assert "Correction 1," in text and correction in text and "Второе интервью" in text
    assert text.find(STATEMENT) < text.find(correction)
