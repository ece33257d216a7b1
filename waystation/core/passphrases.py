"""Reading passphrases for the command line: from --passphrase-file PATH (or
WAYSTATION_PASSPHRASE_FILE; "-" = standard input) or a terminal prompt, never from the command
line itself, where other users of the machine could read it."""

import getpass
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


def read_passphrase(
    *,
    prompt: str = "Passphrase: ",
    path: str | None = None,
    confirm: bool = False,
    optional: bool = False,
) -> str | None:
    """The passphrase from ``path``, else the configured file, else the terminal. Returns None
    when ``optional`` and there is no source (or the operator left the prompt empty)."""
    source = path or configured_source()
    if source:
        return _read_file(source)
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
