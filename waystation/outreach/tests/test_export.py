"""Exports: safe against formula injection in every format, and export → import loses nothing."""

import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from python_calamine import CalamineWorkbook

from waystation.accounts.policy import Perm, system_actor
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases.tests.factories import make_case
from waystation.outreach import planning, services
from waystation.outreach.models import Approach, Organisation

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parent / "samples"
EVIL = '=HYPERLINK("http://evil.example","click")'

# Writes in these tests are made as an operator's command would make them.
EDITOR = system_actor("test.outreach", Perm.OUTREACH_EDIT)


@pytest.fixture
def log(cast):
    call_command("outreach", "import", str(SAMPLES / "outreach-log.xlsx"))
    organisation = services.organisation_create(actor=EDITOR, name=EVIL, kind="ngo", country="DE")
    approach = services.approach_create(
        actor=EDITOR,
        organisation=organisation,
        date=date(2023, 3, 1),
        day_known=False,
        channel="messenger",
        contact_name="+49 123",
        summary="-2 days late",
        case=make_case(codename="amber-falcon-27"),
    )
    services.response_record(
        actor=EDITOR,
        approach=approach,
        kind="other",
        date=date(2023, 4, 2),
        text="@channel помощь обещали",
    )
    return Approach.objects.count()


def _snapshot():
    rows = []
    for a in Approach.objects.select_related("organisation", "contact").order_by(
        "organisation__name", "date", "channel"
    ):
        latest = a.responses.order_by("-date", "-pk").first()
        rows.append(
            (
                a.organisation.name,
                a.organisation.kind,
                a.organisation.country.code,
                a.date,
                a.day_known,
                a.channel,
                a.contact.name if a.contact else "",
                a.summary,
                a.outcome,
                a.answered_on,
                latest.text if latest else "",
                a.case.codename if a.case else "",
            )
        )
    return rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_export_then_import_loses_nothing(client_for, log, fmt):
    before = _snapshot()
    data = client_for("coordinator").get(reverse("outreach:export"), {"format": fmt}).content
    Approach.objects.all().delete()
    Organisation.objects.all().delete()
    plan = planning.outreach_plan(data)
    assert plan.rejected == [] and len(plan.records) == log
    services.outreach_import(actor=EDITOR, plan=plan, filename=f"export.{fmt}")
    assert _snapshot() == before
    assert AuditEvent.objects.filter(event=Event.OUTREACH_EXPORTED).count() == 1


def test_formulas_are_neutralised_in_every_format(client_for, log):
    client = client_for("coordinator")
    csv_text = client.get(reverse("outreach:export"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and ",=HYPERLINK" not in csv_text
    assert "'@channel" in csv_text and "'-2 days late" in csv_text
    xlsx = client.get(reverse("outreach:export"), {"format": "xlsx"}).content
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    evil = [c for c in cells if "HYPERLINK" in c.value]
    assert evil and all(c.data_type == "s" and c.value.startswith("'") for c in evil)
    ods = client.get(reverse("outreach:export"), {"format": "ods"}).content
    values = CalamineWorkbook.from_filelike(io.BytesIO(ods)).get_sheet_by_index(0).to_python()
    assert any(str(v).startswith("'=HYPERLINK") for row in values for v in row)


def test_only_editors_export(client_for, log):
    assert client_for("caseworker").get(reverse("outreach:export")).status_code == 403
    response = client_for("coordinator").get(reverse("outreach:export"), {"format": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="outreach-')


def test_command_line_export(tmp_path, log, capsys):
    target = tmp_path / "log.ods"
    call_command("outreach", "export", "--format", "ods", "--out", str(target))
    assert "exported the outreach log" in capsys.readouterr().out
    assert len(planning.outreach_plan(target.read_bytes()).records) == log


def test_control_characters_do_not_break_the_xlsx_export(client_for, cast):
    organisation = services.organisation_create(actor=EDITOR, name="Fund\x0b with a tab")
    services.approach_create(
        actor=EDITOR,
        organisation=organisation,
        date=date(2024, 1, 2),
        channel="email",
        summary="pasted\x0btext",
    )
    response = client_for("coordinator").get(reverse("outreach:export"), {"format": "xlsx"})
    values = [
        c.value
        for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows()
        for c in row
    ]
    assert "pastedtext" in values
