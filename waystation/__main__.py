"""The ``waystation`` command line: Django's management commands plus Waystation's own
(init, demo, serve, passphrase, panic, backup, restore, user, audit verify, tasks work). Each
command is thin and calls a service.

Every command that needs the keys follows one contract: ``--data-dir DIR`` (or
WAYSTATION_DATA_DIR) and ``--passphrase-file PATH`` (or WAYSTATION_PASSPHRASE_FILE; "-" is
standard input); with neither, a terminal prompt.
"""

import os
import sys

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
    "help",
    "--help",
    "-h",
    "version",
    "--version",
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
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waystation.settings")
    command = argv[1] if len(argv) > 1 else "help"

    import django
    from django.core.management import execute_from_command_line

    django.setup()
    if command not in _NO_KEYS_NEEDED and tuple(argv[1:3]) not in _NO_KEYS_NEEDED_SUBCOMMANDS:
        from waystation.core.unsealing import CannotUnseal, unseal_for_command

        try:
            unseal_for_command()
        except CannotUnseal as problem:
            return _fail(str(problem))
    execute_from_command_line(["waystation", *argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
