"""The ``waystation`` command line: Waystation's own commands (init, serve, tasks, migrate,
demo, passphrase, panic, backup, restore, user, audit, case, outreach, evidence, knowledge,
pathways, dossier). Each command is thin and calls a service. The framework's other commands are
developer tools behind WAYSTATION_DEVELOPER=1 (see waystation/cli.py).

Every command that needs the keys follows one contract: ``--data-dir DIR`` (or
WAYSTATION_DATA_DIR) and ``--passphrase-file PATH`` (or WAYSTATION_PASSPHRASE_FILE; "-" is
standard input); with neither, a terminal prompt.
"""

import os
import sys

import django
from django.core.management import execute_from_command_line

from waystation import cli
from waystation.core.unsealing import CannotUnseal, unseal_for_command

# Commands that create an instance, destroy its keys, or only read code: no unseal first.
# An investigator checks a package on a machine with no Waystation instance; CI checks the
# pathway catalogue without one.
_NO_KEYS_NEEDED_SUBCOMMANDS = {("evidence", "verify-export"), ("pathways", "check")}
_NO_KEYS_NEEDED = {
    "init",
    "demo",
    "panic",
    "restore",
    "serve",
    "makemigrations",
    "makemessages",
    "compilemessages",
}
_GLOBAL_OPTIONS = {
    "--data-dir": "WAYSTATION_DATA_DIR",
    "--passphrase-file": "WAYSTATION_PASSPHRASE_FILE",
}


def _take_intake_only(argv: list[str]) -> list[str]:
    """`serve --intake-only` picks a different URL configuration, which is settled when the
    settings load: it travels as WAYSTATION_INTAKE_ONLY, like the global options."""
    if len(argv) > 1 and argv[1] == "serve" and "--intake-only" in argv:
        os.environ["WAYSTATION_INTAKE_ONLY"] = "1"
    return argv


def _take_global_options(argv: list[str]) -> list[str]:
    """--data-dir and --passphrase-file work with every command and must be known before the
    settings load, so they travel as environment variables."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        name, sep, value = arg.partition("=")
        if name in _GLOBAL_OPTIONS and sep:
            os.environ[_GLOBAL_OPTIONS[name]] = value
        elif arg in _GLOBAL_OPTIONS and i + 1 < len(argv):
            os.environ[_GLOBAL_OPTIONS[arg]] = argv[i + 1]
            i += 1
        else:
            out.append(arg)
        i += 1
    return out


def _fail(message: str) -> int:
    print(f"waystation: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # whatever we create (database, WAL, blobs, backups) is ours alone
    argv = _take_intake_only(_take_global_options(list(sys.argv if argv is None else argv)))
    argv = cli.routed(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waystation.settings")
    command = argv[1] if len(argv) > 1 else "help"

    django.setup()
    if command in cli.HELP_WORDS and len(argv) <= 2:
        print(cli.help_text())
        return 0
    if command in cli.VERSION_WORDS:
        print(cli.version_text())
        return 0
    if command == "help":  # `waystation help COMMAND`: that command's own --help
        asked = argv[2]
        refused = cli.refusal(asked, [])
        if refused:
            return _fail(refused)
        execute_from_command_line(["waystation", "help", asked])
        return 0
    refused = cli.refusal(command, argv[2:])
    if refused:
        return _fail(refused)
    asks_help = any(arg in ("--help", "-h") for arg in argv[2:])  # no keys to read a --help
    needs_keys = command not in _NO_KEYS_NEEDED and not asks_help
    if needs_keys and tuple(argv[1:3]) not in _NO_KEYS_NEEDED_SUBCOMMANDS:
        try:
            unseal_for_command()
        except CannotUnseal as problem:
            return _fail(str(problem))
    execute_from_command_line(["waystation", *argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
