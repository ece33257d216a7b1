"""What the fast import path writes reads back exactly as Django writes it (NULLs, booleans,
dates, on both databases), and the streamed workbook reader still fails cleanly."""

import io
import subprocess
from datetime import date

import pytest
from django.db import models
from openpyxl import Workbook

from waystation.accounts.policy import Perm, system_actor
from waystation.cases.tests.factories import make_case
from waystation.core import spreadsheets as sheets
from waystation.core.spreadsheets import SpreadsheetError, workbook
from waystation.outreach import planning, services
from waystation.outreach.models import Approach, Response
from waystation.outreach.spreadsheet.schema import SCHEMA

# Writes in these tests are made as an operator's command would make them.
EDITOR = system_actor("test.outreach", Perm.OUTREACH_EDIT)


def _plan(csv: str):
    return planning.outreach_plan(csv.encode())


def read_table(data: bytes, _name: str):
    return sheets.read_table(data, SCHEMA)


@pytest.mark.django_db
def test_nulls_booleans_and_dates_read_back_as_written(cast):
    case = make_case(codename="quiet-river-3")
    plan = _plan(
        "Дата;Организация;Контактное лицо;Ответ;Дата ответа;Кодовое имя\n"
        "март 2024;UNHCR;;;;\n"
        "03.04.2024;UNHCR;Anna Petrova;отказ;10.04.2024;quiet-river-3\n"
        "05.04.2024;Pro Asyl;;автоответ;;\n"
    )
    assert not plan.rejected
    services.outreach_import(actor=cast["coordinator"], plan=plan, filename="log.csv")

    bare, declined, acknowledged = Approach.objects.order_by("date")
    assert (bare.date, bare.day_known) == (date(2024, 3, 1), False)
    assert bare.contact is None and bare.case is None
    assert (bare.outcome, bare.answered_on, bare.created_by) == ("none", None, cast["coordinator"])
    assert declined.day_known is True and declined.contact.name == "Anna Petrova"
    assert declined.case == case and declined.answered_on == date(2024, 4, 10)
    assert acknowledged.outcome == "acknowledged" and acknowledged.answered_on is None
    # No stand-in is left in the database: NULL is NULL.
    assert not Approach.objects.filter(contact_id=0).exists()
    assert not Approach.objects.filter(case_id=0).exists()
    responses = {r.approach_id: r for r in Response.objects.all()}
    assert responses[declined.pk].date == date(2024, 4, 10)
    assert responses[acknowledged.pk].date is None
    assert all(r.created_by == cast["coordinator"] for r in responses.values())


@pytest.mark.django_db
def test_an_import_without_an_actor_writes_no_author():
    services.outreach_import(
        actor=EDITOR, plan=_plan("Date;Organisation\n01.02.2024;UNHCR\n"), filename="x"
    )
    approach = Approach.objects.get()
    assert approach.created_by is None and approach.batch.imported_by is None


def test_zero_stands_for_null_only_where_it_cannot_be_a_value():
    from waystation.core.bulk import _sqlite_parameter

    assert _sqlite_parameter(Approach._meta.get_field("contact")) == "NULLIF(%s, 0)"
    assert _sqlite_parameter(Approach._meta.get_field("answered_on")) == "NULLIF(%s, 0)"
    assert _sqlite_parameter(Approach._meta.get_field("summary")) == "%s"
    # 0 may be a real number (an age): such a column takes None itself.
    assert _sqlite_parameter(models.IntegerField(null=True)) == "%s"


def _xlsx(rows: int) -> bytes:
    book = Workbook()
    book.active.append(["Date", "Organisation"])
    for i in range(rows):
        book.active.append([date(2024, 1, 1), f"Organisation {i}"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_streamed_reader_gives_every_row_with_its_line():
    table = read_table(_xlsx(9000), "log.xlsx")  # more rows than the worker writes to a line
    assert len(table.rows) == 9000
    assert (table.rows[0].line, table.rows[-1].line) == (2, 9001)
    assert table.rows[-1].cells[1] == "Organisation 8999"


def test_a_worker_past_its_time_limit_is_stopped(monkeypatch):
    monkeypatch.setattr(workbook, "PARSER_SECONDS", 0.001)
    with pytest.raises(SpreadsheetError, match="too large to read"):
        read_table(_xlsx(10), "log.xlsx")


def test_a_failing_worker_is_a_bug_with_its_message(monkeypatch, tmp_path):
    broken = tmp_path / "worker.py"
    broken.write_text("raise ValueError('the worker broke')\n")
    monkeypatch.setattr(workbook, "_WORKER", broken)
    with pytest.raises(RuntimeError, match="the worker broke"):
        read_table(_xlsx(10), "log.xlsx")


def test_a_reader_abandoned_midway_stops_its_worker(monkeypatch):
    started = []

    class Recorded(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(workbook.subprocess, "Popen", Recorded)
    rows = workbook.read_workbook(_xlsx(9000), max_rows=10_000, max_columns=10)
    assert next(rows)["sheet"] and next(rows)[0] == 1
    rows.close()
    [worker] = started
    assert worker.returncode is not None  # killed and waited for, not left behind
