"""No way out around the exit gate. Two checks:

- every writer of an export refuses what the gate did not release (a hand-made release, or
  one not yet recorded where the bytes are about to leave), so a view or command that skips
  the gate cannot produce a file;
- the source: an evidence item's stored bytes are read, and a testimony's statement is put
  into anything, only in the places listed here — the gate itself and the writers that take
  a release — so a new way out that reads them directly fails this test until it goes
  through the gate (or is added here with the reason it is not a way out).
"""

import ast
import io
from pathlib import Path

import pytest

from waystation.cases.tests.factories import make_case
from waystation.evidence import gate, services
from waystation.evidence.export import bag, contents
from waystation.evidence.export import case as case_export
from waystation.evidence.models import ItemOrigin
from waystation.pathways.dossier import services as dossier

ROOT = Path(gate.__file__).resolve().parents[1]  # the waystation package

# Where an evidence item's stored bytes may be read ("module:function": why).
ITEM_BYTES_READ = {
    "evidence/gate.py:_chunks": "the exit gate: the bytes of a release's items",
    "evidence/downloads.py:item_download_response": (
        "a member's own copy (the page and the API), written to the chain of custody"
    ),
    "evidence/verify.py:_rehash": "re-hashing every stored item",
    "partners/inbox.py:open_inbound": "a received package (encrypted as it came), not an item",
}
# Where a testimony's statement may be written into something ("module:function": why).
STATEMENT_READ = {
    "evidence/export/contents.py:_testimony_row": "package tables, from a release",
    "evidence/export/case.py:_evidence": "the case export, from a recorded release",
    "pathways/dossier/pdf.py:_testimonies": "the dossier, from a recorded release",
    "partners/sending.py:_testimony": "a partner package, from a release",
    # A timestamp token's ``statement`` is the short text of hashes it was asked over, not a
    # testimony's: the name is the same, the content is not.
    "evidence/timestamping.py:_attempt": "a timestamp token's statement of hashes",
    "evidence/export/stamps.py:timestamp_files": "a timestamp token's statement of hashes",
    "api/evidence.py:testimony_statement": (
        "a member's own reading over the API, audited by testimony_read like the page's"
    ),
}
# Apps whose files hold no case evidence: their blob reads are imports and receipts.
NOT_CASE_EVIDENCE = {"core", "outreach", "ledger", "knowledge", "intake", "testing"}


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if {"tests", "migrations"} & set(relative.parts) or relative.parts[0] in (
            NOT_CASE_EVIDENCE
        ):
            continue
        yield relative.as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _sites(predicate) -> set[str]:
    found = set()
    for name, tree in _modules():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if any(predicate(node) for node in ast.walk(function)):
                found.add(f"{name}:{function.name}")
    return found


def _reads_stored_bytes(node) -> bool:
    """``….open(<something>.blob)``: a stored file opened by its blob name."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "open"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Attribute)
        and node.args[0].attr == "blob"
    )


def _reads_statement(node) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "statement"


def test_item_bytes_are_read_only_by_the_gate_and_the_listed_places():
    assert _sites(_reads_stored_bytes) == set(ITEM_BYTES_READ)


def test_statements_are_written_only_by_writers_that_take_a_release():
    assert _sites(_reads_statement) == set(STATEMENT_READ)


# -- writers refuse what the gate did not release ---------------------------------------------


@pytest.fixture
def released(cast, settings, tmp_path):
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(tmp_path)}
    case = make_case()
    item = services.item_ingest_stream(
        actor=cast["documentation_officer"],
        case=case,
        source=io.BytesIO(b"an open-source report"),
        original_name="report.txt",
        origin=ItemOrigin.OPEN,
    )
    release = gate.clear(
        actor=None, case=case, addressee=gate.Addressee.of("un"), way="package_dir"
    )
    return release, item


class _Forged:
    """Looks like a release; the gate did not make it."""

    def __init__(self, release):
        self.__dict__.update(release.__dict__)
        self.recorded = True


def _writers(release, item):
    """Every writer of an export, called with ``release``."""
    yield "package tables", lambda: contents.make_contents(release)
    yield "package files", lambda: next(
        bag.bag_files(contents.Contents(release, [], [], "", ""))
    )
    yield "case export", lambda: case_export._evidence(release)
    yield "dossier files", lambda: next(dossier._zip_files(release, b"%PDF", []))
    yield "item bytes", lambda: next(iter(gate.Release.open(release, item)))


def test_every_writer_refuses_a_release_the_gate_did_not_make(released):
    release, item = released
    for what, write in _writers(_Forged(release), item):
        with pytest.raises(gate.GateBypassed):
            write()
        assert what


def test_writers_whose_bytes_leave_at_once_refuse_an_unrecorded_release(released):
    release, _item = released
    with pytest.raises(gate.GateBypassed, match="before its release was recorded"):
        case_export._evidence(release)
    with pytest.raises(gate.GateBypassed, match="before its release was recorded"):
        next(dossier._zip_files(release, b"%PDF", []))


def test_a_release_opens_only_its_own_items(released, cast):
    release, item = released
    other = services.item_ingest_stream(
        actor=cast["documentation_officer"],
        case=release.case,
        source=io.BytesIO(b"later"),
        original_name="later.txt",
        origin=ItemOrigin.OPEN,
    )
    assert b"".join(release.open(item)) == b"an open-source report"
    with pytest.raises(gate.GateBypassed, match="not part of this release"):
        release.open(other)
