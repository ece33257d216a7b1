"""`waystation COMMAND --help` works for every product command without an instance (issue 27,
item 8), and shows the instance options the command takes with the variables that stand for
them. One process asks every command in turn (a process per command would cost a minute)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

_ASK_ALL = """
import contextlib, io, json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waystation.settings")
import django
django.setup()
from waystation import cli
from waystation.__main__ import main
answers = {}
asked = [[name] for name in sorted(cli.product_commands())]
asked += [["passphrase", "add"], ["evidence", "ingest"], ["evidence", "verify-export"],
          ["tasks", "work"], ["case", "send"], ["pathways", "check"]]
for words in asked:
    for form in (["waystation", *words, "--help"], ["waystation", "help", *words]):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(form)
            except SystemExit as stop:
                status = stop.code
        answers[" ".join(form[1:])] = [status, out.getvalue(), err.getvalue()]
print(json.dumps(answers))
"""


def test_every_command_help_works_without_an_instance(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYSTATION_", "DJANGO_"))}
    env["WAYSTATION_DATA_DIR"] = str(tmp_path / "no-such-instance")
    done = subprocess.run(
        [sys.executable, "-c", _ASK_ALL],
        env=env,
        cwd=tmp_path,  # no ./var here either
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    for command in ("init", "serve", "tasks", "backup", "restore", "user", "audit", "case"):
        assert f"{command} --help" in answers
    assert not (tmp_path / "no-such-instance").exists()
    for asked, (status, out, err) in answers.items():
        assert status == 0, (asked, err)
        assert "usage: waystation" in out, asked
        assert "does not exist" not in out + err, asked
        words = asked.removeprefix("help ").removesuffix(" --help")
        if words in ("evidence verify-export", "pathways check"):
            assert "--data-dir" not in out, asked  # these need no instance at all
        elif words in ("panic", "demo"):
            assert "--data-dir DIR" in out and "WAYSTATION_DATA_DIR" in out, asked
            assert "--passphrase-file" not in out, asked
        else:
            for option in ("--data-dir DIR", "WAYSTATION_DATA_DIR", "--passphrase-file PATH"):
                assert option in out, (asked, option)
            assert "WAYSTATION_PASSPHRASE_FILE" in out, asked
    serve = answers["serve --help"][1]
    assert "--trusted-proxy ADDR" in serve and "WAYSTATION_TRUSTED_PROXY" in serve
    assert "--to NAME" in answers["case send --help"][1]
