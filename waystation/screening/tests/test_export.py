"""A witness can also be a perpetrator: once exclusion concerns are recorded in a person's
screening, nothing of his case goes out — evidence package, dossier, case export — until a
coordinator has confirmed it, on the web and on the command line alike."""

import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from waystation.audit.events import Event as Audit
from waystation.audit.models import AuditEvent
from waystation.cases.tests.factories import make_case
from waystation.evidence import services as evidence
from waystation.screening import services

from .factories import interviewed, with_concern

pytestmark = pytest.mark.django_db


@pytest.fixture
def blobs(settings, tmp_path):
    root = tmp_path / "blobs"
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(root)}
    return root


@pytest.fixture
def case(cast, blobs):
    case = make_case(caseworker=cast["caseworker"])
    evidence.item_ingest_stream(
        actor=cast["documentation_officer"],
        case=case,
        source=io.BytesIO(b"a video, say\n"),
        original_name="clip.mp4",
        origin="open",
    )
    return case


@pytest.fixture
def concern(case, cast):
    return with_concern(interviewed(case, cast["screener"]), cast["screener"])


def _web_export(client_for, case):
    item = case.evidence_items.get()
    return client_for("documentation_officer").post(
        reverse("evidence:export"),
        {"case": case.codename, "recipient": "un", "step": "download", "items": [str(item.pk)]},
    )


def _cli_export(case, out):
    printed = StringIO()
    call_command(
        "evidence",
        "export",
        "--case",
        case.codename,
        "--recipient",
        "un",
        "--out",
        str(out),
        stdout=printed,
    )
    return printed.getvalue()


def test_export_without_concerns_goes_ahead(client_for, case, cast):
    interviewed(case, cast["screener"])
    assert _web_export(client_for, case)["Content-Type"] == "application/zip"


def test_web_export_is_refused_until_a_coordinator_confirms(client_for, case, concern):
    refused = _web_export(client_for, case)
    assert refused.status_code == 400
    assert "may leave only after a coordinator has confirmed it" in refused.content.decode()
    assert "concern" not in refused.content.decode().lower()
    assert not AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORTED).exists()
    row = AuditEvent.objects.get(event=Audit.EVIDENCE_EXPORT_REFUSED)
    assert row.data["screening"] == "concerns_not_cleared"
    # Only a coordinator may confirm, on the screening page, with reasons.
    url = reverse("screening:clearance", args=[case.pk])
    assert client_for("screener").post(url, {"clearance-reasons": "fine"}).status_code == 403
    assert client_for("coordinator").post(url, {"clearance-reasons": ""}).status_code == 400
    confirmed = client_for("coordinator").post(
        url, {"clearance-reasons": "He is a witness of the shooting."}
    )
    assert confirmed.status_code == 302
    cleared = AuditEvent.objects.get(event=Audit.SCREENING_EXPORT_CLEARED)
    assert cleared.actor_id == concern.screening.case.screening.clearances.get().cleared_by_id
    assert _web_export(client_for, case)["Content-Type"] == "application/zip"


def test_a_later_concern_needs_a_new_confirmation(client_for, case, concern, cast):
    services.export_clear(actor=cast["coordinator"], screening=concern.screening, reasons="ok")
    with_concern(concern.screening, cast["screener"])
    assert _web_export(client_for, case).status_code == 400


def test_cli_export_is_refused_until_a_coordinator_confirms(case, concern, cast, tmp_path):
    with pytest.raises(CommandError, match="only after a coordinator has confirmed") as refused:
        _cli_export(case, tmp_path / "pkg")
    assert "\n" not in str(refused.value)
    assert not (tmp_path / "pkg").exists()
    services.export_clear(
        actor=cast["coordinator"], screening=concern.screening, reasons="Witness only."
    )
    assert "exported package" in _cli_export(case, tmp_path / "pkg")
    assert (tmp_path / "pkg" / "bagit.txt").exists()


def test_clearance_needs_a_concern(case, cast):
    screening = interviewed(case, cast["screener"])
    with pytest.raises(services.ScreeningError, match="No exclusion concern"):
        services.export_clear(actor=cast["coordinator"], screening=screening, reasons="x")


def test_a_dossier_with_his_evidence_waits_for_the_same_confirmation(
    client_for, case, concern, cast
):
    item = case.evidence_items.get()
    url = reverse("dossier:case", kwargs={"pk": case.pk})
    chosen = {"language": "en", "output": "zip", "items": [str(item.pk)], "recipient": "un"}
    refused = client_for("caseworker").post(url, chosen)
    assert refused.status_code == 400
    assert "may leave only after a coordinator has confirmed it" in refused.content.decode()
    assert "concern" not in refused.content.decode().lower()
    assert not AuditEvent.objects.filter(event=Audit.CASE_EXPORTED).exists()
    assert AuditEvent.objects.filter(event=Audit.EVIDENCE_EXPORT_REFUSED).count() == 1
    # Even without evidence or testimonies: screening holds every way out.
    summary = client_for("caseworker").post(url, {"language": "en", "output": "pdf"})
    assert summary.status_code == 400
    assert "may leave only after a coordinator has confirmed it" in summary.content.decode()
    services.export_clear(actor=cast["coordinator"], screening=concern.screening, reasons="ok")
    assert client_for("caseworker").post(url, chosen)["Content-Type"] == "application/zip"
