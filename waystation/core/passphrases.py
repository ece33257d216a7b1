"""Reading passphrases for the command line: from --passphrase-file PATH (or
WAYSTATION_PASSPHRASE_FILE; "-" = standard input), a systemd credential, or a prompt (the
terminal; under systemd without one, systemd-ask-password), never from the command line
itself, where other users of the machine could read it.

Unattended start under systemd (docs/server.md):
- ``LoadCredentialEncrypted=waystation-passphrase:/etc/credstore.encrypted/waystation-passphrase``
  in the unit: the passphrase is read from ``$CREDENTIALS_DIRECTORY/waystation-passphrase``,
  which systemd decrypts (TPM2 or the host key) into memory for this service alone;
- or nothing: a service (``$INVOCATION_ID`` set) with no terminal asks through
  ``systemd-ask-password`` (answered with ``systemd-tty-ask-password-agent`` on the console or
  over ssh); an empty answer, or WAYSTATION_ASK_PASSWORD=0, starts `serve` sealed, waiting for
  a coordinator on its unseal page.
"""

import getpass
import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings


class NoPassphrase(Exception):
    pass


def _read_file(path: str) -> str:
    if path == "-":
        return sys.stdin.readline().rstrip("\r\n")
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError, UnicodeDecodeError):
        raise NoPassphrase(f"cannot read a passphrase from {path}") from None


def configured_source() -> str:
    return settings.PASSPHRASE_FILE


CREDENTIAL = "waystation-passphrase"


def _credential() -> str | None:
    """The systemd credential ``waystation-passphrase`` of this service, if it has one."""
    folder = os.environ.get("CREDENTIALS_DIRECTORY")
    if folder and (Path(folder) / CREDENTIAL).is_file():
        return _read_file(str(Path(folder) / CREDENTIAL))
    return None


def _ask_password_program() -> str | None:
    """systemd-ask-password, when this runs as a systemd service without a terminal."""
    if not os.environ.get("INVOCATION_ID") or os.environ.get("WAYSTATION_ASK_PASSWORD") == "0":
        return None
    return shutil.which("systemd-ask-password")


def _ask_systemd(program: str, prompt: str) -> str:
    try:
        asked = subprocess.run(  # noqa: S603 - systemd's own program, no shell
            [program, "--id=waystation", f"--timeout={_ask_timeout()}", f"Waystation {prompt}"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as problem:
        raise NoPassphrase(f"systemd-ask-password did not run: {problem.strerror}") from None
    return asked.stdout.rstrip("\r\n") if asked.returncode == 0 else ""


def _ask_timeout() -> int:
    """Seconds systemd-ask-password waits (WAYSTATION_ASK_PASSWORD_TIMEOUT; 0: for ever)."""
    try:
        return max(0, int(os.environ.get("WAYSTATION_ASK_PASSWORD_TIMEOUT", "0")))
    except ValueError:
        return 0


def read_passphrase(
    *,
    prompt: str = "Passphrase: ",
    path: str | None = None,
    confirm: bool = False,
    optional: bool = False,
) -> str | None:
    """The passphrase from ``path``, else the configured file, else the systemd credential,
    else the terminal (or systemd-ask-password). Returns None when ``optional`` and there is
    no source (or the operator left the prompt empty)."""
    source = path or configured_source()
    if source:
        return _read_file(source)
    if path is None and not confirm and (credential := _credential()) is not None:
        return credential
    program = None if sys.stdin.isatty() or confirm else _ask_password_program()
    if program:
        answer = _ask_systemd(program, prompt)
        if answer or optional:
            return answer or None
        raise NoPassphrase("no passphrase was given to systemd-ask-password")
    if not sys.stdin.isatty():
        if optional:
            return None
        raise NoPassphrase(
            "no passphrase given: use --passphrase-file PATH (- for standard input) or run "
            "this command in a terminal"
        )
    first = getpass.getpass(prompt)
    if optional and not first:
        return None
    if confirm and first != getpass.getpass("Same passphrase again: "):
        raise NoPassphrase("the two passphrases differ; nothing was changed")
    return first
