"""Fixtures of the dossier tests (the page's and the command's): a case with a status
timeline, risk events and an identity; two of the person's own files; a testimony."""

import io
from datetime import date

import pytest

from waystation.cases import services as cases
from waystation.cases.models import RiskKind, Status
from waystation.cases.tests.factories import make_case
from waystation.evidence import services as evidence
from waystation.evidence.models import ItemOrigin, Recipient

from .dossier_data import LEGAL_NAME, PHOTO, PLACE, SCAN, STATEMENT


@pytest.fixture(autouse=True)
def blobs(settings, tmp_path):
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(tmp_path)}


@pytest.fixture
def case(cast):
    found = make_case(caseworker=cast["caseworker"], lawyer=cast["lawyer"])
    coordinator = cast["coordinator"]
    cases.identity_save(actor=coordinator, case=found, legal_name=LEGAL_NAME, phone="+996 555")
    cases.status_record(actor=coordinator, case=found, status=Status.CROSSED, on=date(2024, 3, 2))
    cases.status_record(actor=coordinator, case=found, status=Status.DETAINED, on=date(2024, 5, 10))
    cases.risk_record(
        actor=coordinator, case=found, kind=RiskKind.WANTED, on=date(2024, 1, 15), place="Moscow"
    )
    cases.risk_record(
        actor=coordinator, case=found, kind=RiskKind.HEARING, on=date(2024, 6, 20), place=PLACE
    )
    return found


@pytest.fixture
def items(cast, case):
    officer = cast["documentation_officer"]
    # His own files: they go where he agreed they may (the exit gate's table is in
    # evidence/tests/test_gate.py).
    evidence.person_consent_record(
        actor=officer, case=case, scope=[Recipient.NGO, Recipient.AUTHORITY]
    )
    return [
        evidence.item_ingest_stream(
            actor=officer,
            case=case,
            source=io.BytesIO(data),
            original_name=name,
            acquired_on=on,
            origin=ItemOrigin.PERSON,
        )
        for name, data, on in (
            ("../photo 1.jpg", PHOTO, date(2024, 4, 1)),
            ("военный билет.txt", SCAN, date(2024, 2, 1)),
        )
    ]


@pytest.fixture
def testimony(cast, case):
    return evidence.testimony_record(
        actor=cast["documentation_officer"],
        case=case,
        statement=STATEMENT,
        language="Russian",
        interviewed_on=date(2024, 5, 1),
        consent_scope=[Recipient.NGO],
    )
