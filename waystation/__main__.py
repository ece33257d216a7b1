"""The ``waystation`` command line: Django's management commands plus Waystation's own
(init, demo, serve, user, audit verify). Each command is thin and calls a service."""

import os
import sys

# Commands that create an instance or only read code need no instance secret.
_NO_INSTANCE_NEEDED = {
    "init",
    "demo",
    "help",
    "--help",
    "-h",
    "version",
    "--version",
    "makemigrations",
    "makemessages",
    "compilemessages",
}


def _take_data_dir(argv: list[str]) -> list[str]:
    """``--data-dir DIR`` works with every command; it must be known before settings load."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--data-dir" and i + 1 < len(argv):
            os.environ["WAYSTATION_DATA_DIR"] = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--data-dir="):
            os.environ["WAYSTATION_DATA_DIR"] = arg.split("=", 1)[1]
        else:
            out.append(arg)
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # whatever we create (database, WAL, keys) is ours alone
    argv = _take_data_dir(list(sys.argv if argv is None else argv))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waystation.settings")
    command = argv[1] if len(argv) > 1 else "help"

    import django
    from django.core.management import execute_from_command_line

    if command not in _NO_INSTANCE_NEEDED:
        from waystation.core.startup import NotReady, require_ready

        try:
            require_ready()
        except NotReady as problem:
            print(f"waystation: {problem}", file=sys.stderr)
            return 2
    django.setup()
    execute_from_command_line(["waystation", *argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
