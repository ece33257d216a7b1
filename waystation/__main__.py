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


def _take_serve_options(argv: list[str]) -> list[str]:
    """`serve --intake-only` picks a different URL configuration and `serve --trusted-proxy
    ADDR` the cookie and HTTPS settings, which are settled when the settings load: they travel
    as WAYSTATION_INTAKE_ONLY and WAYSTATION_TRUSTED_PROXY, like the global options (and stay
    in the arguments, where `serve` checks that they arrived)."""
    if len(argv) < 2 or argv[1] != "serve":
        return argv
    if "--intake-only" in argv:
        os.environ["WAYSTATION_INTAKE_ONLY"] = "1"
    for i, arg in enumerate(argv):
        name, sep, value = arg.partition("=")
        if name == "--trusted-proxy":
            given = value if sep else (argv[i + 1] if i + 1 < len(argv) else "")
            os.environ["WAYSTATION_TRUSTED_PROXY"] = given
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
    argv = _take_serve_options(_take_global_options(list(sys.argv if argv is None else argv)))
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
    if command == "help":  # `waystation help COMMAND [SUB]`: that command's own --help
        asked = cli.routed(["waystation", *argv[2:]])
        refused = cli.refusal(asked[1], ["--help"])
        if refused:
            return _fail(refused)
        return cli.command_help(asked[1], asked[2:])
    refused = cli.refusal(command, argv[2:])
    if refused:
        return _fail(refused)
    if any(arg in ("--help", "-h") for arg in argv[2:]):  # no instance needed to read a --help
        return cli.command_help(command, argv[2:])
    needs_keys = command not in _NO_KEYS_NEEDED
    if needs_keys and tuple(argv[1:3]) not in _NO_KEYS_NEEDED_SUBCOMMANDS:
        try:
            unseal_for_command()
        except CannotUnseal as problem:
            return _fail(str(problem))
    execute_from_command_line(["waystation", *argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
