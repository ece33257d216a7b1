"""`waystation case new`: opens a case and prints only its codename, for scripts; refusals
exit non-zero with one line saying what to do, and write nothing."""

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases import codenames
from waystation.cases.models import Case

ROOT = Path(__file__).resolve().parents[3]


def _new(*args) -> str:
    out = StringIO()
    call_command("case", "new", *args, stdout=out)
    return out.getvalue()


def test_new_case_prints_only_its_generated_codename(db):
    printed = _new()
    codename = printed.strip()
    assert printed == codename + "\n"
    assert codenames.CODENAME.match(codename)
    case = Case.objects.get(codename=codename)
    assert case.status_changes.count() == 1 and case.identity.is_empty
    row = AuditEvent.objects.get(event=Event.CASE_CREATED, object_id=str(case.pk))
    # Opened by the command line's own actor, which may open cases and nothing more.
    assert row.actor is None and row.data["system"] == "command.case.new"


def test_new_case_takes_a_codename_as_people_type_it(db):
    assert _new("--codename", "Amber Falcon 27") == "amber-falcon-27\n"
    assert Case.objects.filter(codename="amber-falcon-27").exists()


@pytest.mark.parametrize(
    ("codename", "message"),
    [
        ("Ölü 5", "Latin letters"),
        ("amber-" + "x" * 35, "Latin letters"),  # 41 characters
        ("amber-falcon-27", "taken"),
    ],
)
def test_refused_codename_writes_nothing(db, codename, message):
    Case.objects.create(codename="amber-falcon-27")
    with pytest.raises(CommandError, match=message) as refused:
        _new("--codename", codename)
    assert "\n" not in str(refused.value)
    assert Case.objects.count() == 1


def test_through_the_waystation_command_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "WAYSTATION_INSECURE_TEST_KDF": "1"}
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("correct horse battery staple\n")
    common = ["--data-dir", str(tmp_path / "instance"), "--passphrase-file", str(passphrase)]

    def waystation(*args):
        return subprocess.run(
            [sys.executable, "-m", "waystation", *args, *common],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert waystation("init").returncode == 0
    made = waystation("case", "new", "--codename", "quiet-river-2")
    assert (made.returncode, made.stdout) == (0, "quiet-river-2\n"), made.stderr
    taken = waystation("case", "new", "--codename", "quiet-river-2")
    assert taken.returncode != 0 and taken.stdout == ""
    assert taken.stderr.strip().count("\n") == 0 and "taken" in taken.stderr
