"""The corpus of messy spreadsheets (corpus/make_corpus.py): each file read, its table found,
its columns guessed and its rows checked exactly as expected.json says, with no hand-picked
mapping; and then imported for real."""

import json
from pathlib import Path

import pytest

from waystation.accounts.policy import Perm, system_actor
from waystation.core import spreadsheets as sheets
from waystation.outreach import planning, services
from waystation.outreach.models import Approach
from waystation.outreach.spreadsheet.schema import SCHEMA, organisation_count

CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))

# Writes in these tests are made as an operator's command would make them.
EDITOR = system_actor("test.outreach", Perm.OUTREACH_EDIT)


def _shown(value) -> str:
    if isinstance(value, sheets.ParsedDate):
        return value.value.isoformat() if value.day_known else f"{value.value:%Y-%m} (month)"
    return str(value)


def test_the_corpus_is_large_enough_and_complete():
    files = {p.name for p in CORPUS.iterdir() if p.suffix not in (".py", ".json")}
    assert len(EXPECTED) >= 20 and files == set(EXPECTED)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_file_gives_what_is_expected(name):
    expected = EXPECTED[name]
    table = sheets.read_table((CORPUS / name).read_bytes(), SCHEMA)
    grid = table.grid
    for key in ("encoding", "delimiter", "sheet", "passed_over"):
        if key in expected:
            assert getattr(grid, key) == expected[key], key
    assert table.header_line == expected["header_line"]
    assert [row.line for row in table.below] == expected.get("below", [])
    mapping = sheets.guess_mapping(SCHEMA, table.headers)
    if "mapping" in expected:
        assert mapping.columns == expected["mapping"]
    if "unused" in expected:
        assert [h for _i, h in mapping.unused(table.headers)] == expected["unused"]
    plan = sheets.check(table, SCHEMA, mapping)
    planning.outreach_review(plan)
    rejected = {str(r.line): list(r.reasons) for r in plan.rejected}
    assert rejected.keys() == expected["rejected"].keys()
    for line, fragments in expected["rejected"].items():
        assert len(rejected[line]) == len(fragments), rejected[line]
        for reason, fragment in zip(rejected[line], fragments, strict=True):
            assert fragment in reason
    assert len(plan.records) == expected["records"]
    assert organisation_count(plan.records) == expected["organisations"]
    assert [[f.line, f.field] for f in plan.flags] == expected.get("flags", [])
    by_line = {line: values for line, values in plan.records}
    for line, field, value in expected.get("values", []):
        assert _shown(by_line[line][field]) == value, (line, field)
    for fragment in expected.get("notes", []):
        assert any(fragment in note for note in plan.notes), plan.notes


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["excel-ru-cp1251.csv", "excel-de-totals.xlsx", "formulas.csv"])
def test_the_good_rows_are_imported(name):
    plan = planning.outreach_plan((CORPUS / name).read_bytes())
    result = services.outreach_import(
        actor=EDITOR, plan=plan, filename=name, mode=sheets.GOOD_ROWS
    )
    assert result.approaches == Approach.objects.count() == EXPECTED[name]["records"]
