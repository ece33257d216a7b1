"""Unattended start under systemd (issue 27): the passphrase from the service's encrypted
credential (LoadCredentialEncrypted=waystation-passphrase:…), or asked through
systemd-ask-password when the service has no terminal; an empty answer starts `serve` sealed,
waiting for a coordinator on its unseal page."""

import os
import subprocess
import sys
from pathlib import Path

from waystation.core.passphrases import read_passphrase
from waystation.testing.plugin import DATA_DIR, TEST_PASSPHRASE

ROOT = Path(__file__).resolve().parents[3]


def _fake_ask_password(folder: Path, answer: str | None) -> Path:
    """A stand-in for systemd-ask-password on PATH: records its arguments, prints ``answer``
    (None: exits 1, as on a timeout)."""
    folder.mkdir()
    program = folder / "systemd-ask-password"
    reply = "exit 1" if answer is None else f"printf '%s\\n' '{answer}'"
    program.write_text(f'#!/bin/sh\necho "$@" > "{folder}/args"\n{reply}\n')
    program.chmod(0o700)
    return folder


def test_the_systemd_credential_is_read_as_the_passphrase(tmp_path, monkeypatch):
    (tmp_path / "waystation-passphrase").write_text("from the credential store\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert read_passphrase() == "from the credential store"
    # A new passphrase (init, passphrase add) is never taken from it.
    monkeypatch.setattr("getpass.getpass", lambda prompt: "typed")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert read_passphrase(confirm=True) == "typed"


def test_a_service_without_a_terminal_asks_systemd(tmp_path, monkeypatch):
    folder = _fake_ask_password(tmp_path / "bin", "asked through systemd")
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")
    monkeypatch.setenv("INVOCATION_ID", "0123456789abcdef")
    assert read_passphrase(optional=True) == "asked through systemd"
    assert "--id=waystation" in (folder / "args").read_text()
    # Not a service (no INVOCATION_ID), or told not to: no prompt, serve starts sealed.
    monkeypatch.setenv("WAYSTATION_ASK_PASSWORD", "0")
    assert read_passphrase(optional=True) is None
    monkeypatch.delenv("WAYSTATION_ASK_PASSWORD")
    monkeypatch.delenv("INVOCATION_ID")
    assert read_passphrase(optional=True) is None


def test_no_answer_to_systemd_starts_sealed(tmp_path, monkeypatch):
    folder = _fake_ask_password(tmp_path / "bin", None)
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")
    monkeypatch.setenv("INVOCATION_ID", "0123456789abcdef")
    assert read_passphrase(optional=True) is None


def test_a_command_unseals_from_the_credential(tmp_path):
    """The real command line, as a systemd service runs it: no terminal, no passphrase file,
    the credential in $CREDENTIALS_DIRECTORY."""
    (tmp_path / "waystation-passphrase").write_text(TEST_PASSPHRASE + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYSTATION_", "DJANGO_"))}
    env.update(
        WAYSTATION_INSECURE_TEST_KDF="1",
        WAYSTATION_DATA_DIR=str(DATA_DIR),  # the suite's instance; its slots are a file
        CREDENTIALS_DIRECTORY=str(tmp_path),
    )
    listed = subprocess.run(
        [sys.executable, "-m", "waystation", "passphrase", "list"],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["0", "normal", "tests"]
