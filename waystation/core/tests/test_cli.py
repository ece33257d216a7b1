"""The product's command line (issue 20): `waystation --help` lists Waystation's commands and
none of the framework's that destroy data or go around the roles and the audit log; those
refuse with one line and a non-zero exit without the developer switch, and on a real instance
even with it; the switch keeps the developer tools working. Run as the real command line, in a
subprocess, as an operator would type it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[3]
PASSPHRASE = "correct horse battery staple"

# Framework commands that empty the database or reach it around the roles, the audit log and
# the exit gate: never listed, never run on a real instance.
DANGEROUS = [
    "flush",
    "sqlflush",
    "dbshell",
    "shell",
    "createsuperuser",
    "changepassword",
    "loaddata",
    "dumpdata",
    "remove_stale_contenttypes",
    "runserver",
]
# Framework tools for developers: not listed, refused without the switch.
DEVELOPER_TOOLS = ["makemigrations", "makemessages", "startproject", "startapp", "squashmigrations"]


def _run(*args, data_dir: Path, developer: bool = False, stdin: str | None = None, script=None):
    env = {
        "PATH": "/usr/bin:/bin",
        "WAYSTATION_INSECURE_TEST_KDF": "1",
        "WAYSTATION_DATA_DIR": str(data_dir),
    }
    if developer:
        env["WAYSTATION_DEVELOPER"] = "1"
    command = [str(script)] if script else [sys.executable, "-m", "waystation"]
    return subprocess.run(
        [*command, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _listed(help_text: str) -> set[str]:
    """The command names `waystation --help` lists: the first word of each indented line."""
    return {
        line.split()[0].rstrip(",*")
        for line in help_text.splitlines()
        if line.startswith("  ") and line.strip()
    }


def _one_line_refusal(result) -> str:
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.startswith("waystation: ")
    assert result.stderr.strip().count("\n") == 0, result.stderr
    return result.stderr


def _instance(tmp_path: Path) -> tuple[Path, Path]:
    """A real instance (not a demo) holding one case, quiet-river-2."""
    data_dir = tmp_path / "instance"
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE + "\n")
    made = _run("init", "--passphrase-file", str(passphrase), data_dir=data_dir)
    assert made.returncode == 0, made.stderr
    opened = _run(
        "case", "new", "--codename", "quiet-river-2", "--passphrase-file", str(passphrase),
        data_dir=data_dir,
    )  # fmt: skip
    assert opened.stdout == "quiet-river-2\n", opened.stderr
    return data_dir, passphrase


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """One real instance for the tests that leave it as it is."""
    return _instance(tmp_path_factory.mktemp("real"))


def _case_is_there(data_dir: Path, passphrase: Path) -> bool:
    """Whether quiet-river-2 still exists: opening it again is refused as taken."""
    again = _run(
        "case", "new", "--codename", "quiet-river-2", "--passphrase-file", str(passphrase),
        data_dir=data_dir,
    )  # fmt: skip
    if again.returncode == 0:
        return False
    assert "taken" in again.stderr, again.stderr
    return True


def test_help_reads_like_a_product_and_lists_only_its_commands(tmp_path):
    shown = _run("--help", data_dir=tmp_path / "none")
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert text.startswith("usage: waystation COMMAND")
    assert "secure case management" in text
    assert "docs/operator.md" in text
    for bare in [(), ("help",), ("-h",)]:
        again = _run(*bare, data_dir=tmp_path / "none")
        assert (again.returncode, again.stdout) == (0, text)
    listed = _listed(text)
    own = {name for name, app in get_commands().items() if app.startswith("waystation")}
    assert own <= listed  # every command of a Waystation app, none forgotten
    assert {"init", "serve", "backup", "restore", "panic", "case", "evidence"} <= listed
    assert listed - own == {"migrate", "clearsessions"}  # the framework's, for operators
    for name in DANGEROUS + DEVELOPER_TOOLS:
        assert name not in listed
    assert "flush" not in text and "dbshell" not in text and "createsuperuser" not in text
    # Nothing of the instance is needed to read it: no passphrase was asked for.
    assert not (tmp_path / "none").exists()


def test_the_installed_console_script_is_the_same_command_line(tmp_path):
    script = Path(sys.executable).parent / "waystation"
    assert script.exists(), "the project is installed with its console script (uv sync)"
    shown = _run("--help", data_dir=tmp_path / "none", script=script)
    assert shown.returncode == 0 and shown.stdout.startswith("usage: waystation COMMAND")
    refused = _run("flush", "--noinput", data_dir=tmp_path / "none", script=script)
    assert "WAYSTATION_DEVELOPER=1" in _one_line_refusal(refused)


def test_version_is_waystations_not_the_frameworks(tmp_path):
    shown = _run("--version", data_dir=tmp_path / "none")
    assert shown.returncode == 0
    assert shown.stdout.startswith("waystation ")


@pytest.mark.parametrize("command", DANGEROUS + DEVELOPER_TOOLS)
def test_framework_commands_refuse_without_the_developer_switch(tmp_path, command):
    refused = _run(command, data_dir=tmp_path / "none")
    message = _one_line_refusal(refused)
    assert f"`{command}`" in message and "WAYSTATION_DEVELOPER=1" in message


def test_help_on_a_framework_command_refuses_too(tmp_path):
    asked = _run("help", "flush", data_dir=tmp_path / "none")
    assert "WAYSTATION_DEVELOPER=1" in _one_line_refusal(asked)


def test_unknown_command_says_where_the_list_is(tmp_path):
    message = _one_line_refusal(_run("flsuh", data_dir=tmp_path / "none"))
    assert "unknown command 'flsuh'" in message and "waystation help" in message


def test_flush_refuses_on_a_real_instance_and_the_case_is_still_there(instance):
    data_dir, passphrase = instance
    unlocked = ["--passphrase-file", str(passphrase)]
    refused = _run("flush", "--noinput", *unlocked, data_dir=data_dir)
    assert "WAYSTATION_DEVELOPER=1" in _one_line_refusal(refused)
    for args in (
        ["flush", "--noinput"],
        ["sqlflush"],
        ["dbshell"],
        ["loaddata", "anything.json"],
        ["createsuperuser", "--noinput", "--username", "root"],
        ["shell", "-c", "print(1)"],
        ["migrate", "cases", "zero", "--noinput"],
    ):
        refused = _run(*args, *unlocked, data_dir=data_dir, developer=True)
        message = _one_line_refusal(refused)
        assert "only on the demo instance" in message and str(data_dir) in message
    assert _case_is_there(data_dir, passphrase)


def test_migrate_as_an_operator_runs_it(instance):
    data_dir, passphrase = instance
    ran = _run("migrate", "--noinput", "--passphrase-file", str(passphrase), data_dir=data_dir)
    assert ran.returncode == 0, ran.stderr
    assert "No migrations to apply" in ran.stdout
    assert _case_is_there(data_dir, passphrase)


def test_the_switch_runs_developer_tools(tmp_path):
    checked = _run(
        "makemigrations", "--check", "--dry-run", data_dir=tmp_path / "none", developer=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "No changes detected" in checked.stdout
    listed = _run("--help", data_dir=tmp_path / "none", developer=True).stdout
    assert "Developer tools (WAYSTATION_DEVELOPER=1" in listed
    assert "flush*" in listed and "makemigrations" in listed


def test_on_the_demo_the_switch_lets_a_developer_reach_the_database(tmp_path):
    """Only a demo (the marker file, the embedded database) may be reached around the roles:
    the gate refuses real data, not the developer's own tools."""
    data_dir, passphrase = _instance(tmp_path)
    (data_dir / "DEMO").write_bytes(b"This instance holds demo data only.\n")
    os.chmod(data_dir / "DEMO", 0o600)
    dump = ["dumpdata", "cases.case", "--passphrase-file", str(passphrase)]
    assert "WAYSTATION_DEVELOPER=1" in _one_line_refusal(_run(*dump, data_dir=data_dir))
    dumped = _run(*dump, data_dir=data_dir, developer=True)
    assert dumped.returncode == 0, dumped.stderr
    assert '"codename": "quiet-river-2"' in dumped.stdout
