"""The product's command line: which commands `waystation` offers, and the gate in front of
the framework's own.

`waystation --help` lists Waystation's commands only (``SECTIONS``), plus the two framework
commands that running an instance needs (``migrate`` after an upgrade, ``clearsessions``).
Every other framework command (makemigrations, makemessages, shell, flush, …) is a developer
tool: it is refused with one line unless the developer switch ``WAYSTATION_DEVELOPER=1`` is in
the environment. The ones that empty the database, or read and write it around the roles, the
audit log and the exit gate (``REAL_INSTANCE_REFUSED``), are refused even with the switch
unless the data directory holds the demo on its embedded database.

Python code calling ``call_command`` (the tests, ``init`` running ``migrate``) is not the
command line and is not affected.
"""

import argparse
import os
import textwrap
from importlib import metadata

from django.conf import settings
from django.core.management import get_commands, load_command_class

DEVELOPER_SWITCH = "WAYSTATION_DEVELOPER"

# The commands of the product, in the order and groups `waystation --help` shows them, each
# with one line. A command of a Waystation app missing here is listed under "Other" with the
# first sentence of its own help.
SECTIONS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Set up and run",
        [
            ("init", "create a new instance: the key slots and the encrypted database"),
            ("serve", "serve the instance (unseals first, or starts sealed)"),
            ("tasks", "run the background tasks in a process of their own (`tasks work`)"),
            ("migrate", "update the database schema after installing a new version"),
            ("demo", "create or update the demo instance and print its logins"),
        ],
    ),
    (
        "Keys and emergencies",
        [
            ("passphrase", "list, add or remove the instance passphrases (key slots)"),
            ("panic", "destroy the keys now: the data becomes unreadable for ever"),
        ],
    ),
    (
        "Backups",
        [
            ("backup", "write one encrypted backup file, taken while the server runs"),
            ("restore", "check a backup completely, then restore it"),
            (
                "blobs",
                "`blobs check`: rows whose file is missing, stored files no row names "
                "(--remove-orphans)",
            ),
        ],
    ),
    (
        "Members and the audit log",
        [
            ("user", "create an account (`user add NAME --role ROLE`): the first coordinator"),
            ("token", "API tokens: `token create --user NAME --name LABEL`, list, revoke"),
            (
                "audit",
                "check every link of the audit log (`audit verify`); write a signed, "
                "timestamped anchor of its head (`audit anchor --out FILE`)",
            ),
            ("clearsessions", "delete expired sign-in and portal sessions"),
        ],
    ),
    (
        "Records",
        [
            ("case", "open a case, or import a list of people as cases"),
            ("case_send", "`case send`: a referral or transfer of a case to a partner group"),
            ("outreach", "import or export the outreach log"),
            ("evidence", "ingest files, export and verify evidence packages, check stored items"),
            ("knowledge", "add the shipped safety pages, or write them as offline HTML"),
            ("pathways", "check the pathway catalogue files"),
            ("dossier", "write a case's dossier for an application (PDF or ZIP)"),
        ],
    ),
    (
        "Partner groups",
        [
            ("partner", "this instance's card; add, list and revoke partner groups"),
            ("inbox", "import packages from partners (`inbox import FILE`), list, accept, decline"),
        ],
    ),
]

# `waystation A B …` run as another app's command: the command of A lives in a lower layer that
# may not know B's app (cases may not import partners), so the face routes it.
ROUTES: dict[tuple[str, str], str] = {("case", "send"): "case_send"}


def routed(argv: list[str]) -> list[str]:
    """``argv`` with a routed command (`case send …` → `case_send …`) put in its place."""
    target = ROUTES.get(tuple(argv[1:3]))
    return [argv[0], target, *argv[3:]] if target else argv


# Framework commands the product's operation needs; they are listed with the product's own.
OPERATOR_FRAMEWORK = {"migrate", "clearsessions"}

# `migrate` as an operator runs it: forward to the current schema, nothing else. Naming an app
# or a migration (which can unapply migrations and drop tables), --fake, --prune or
# --run-syncdb makes it the developer's tool.
_MIGRATE_FLAGS = {
    "--plan",
    "--check",
    "--noinput",
    "--no-input",
    "--traceback",
    "--no-color",
    "--help",
    "-h",
}
_MIGRATE_VALUED = {"-v", "--verbosity"}

# Refused on a real instance even with the developer switch: they empty the database (flush,
# sqlflush's script, loaddata over rows, remove_stale_contenttypes), or reach the data around
# the roles, the audit log and the exit gate (a shell or database shell holding the keys, a
# superuser or a password set without the audit log, every record dumped in the clear), or
# serve and run tasks without `serve`'s protections (runserver logs client addresses).
REAL_INSTANCE_REFUSED = {
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
    "testserver",
    "db_worker",
    "prune_db_task_results",
}

HELP_WORDS = {"help", "--help", "-h"}
VERSION_WORDS = {"version", "--version"}


def developer() -> bool:
    return os.environ.get(DEVELOPER_SWITCH) == "1"


def is_demo() -> bool:
    """A demo instance on the embedded database, whose file lives in the demo's directory: the
    only place where a developer may empty or bypass the database from the command line."""
    embedded = settings.DATABASES["default"]["ENGINE"] == "waystation.core.db"
    return embedded and (settings.DATA_DIR / "DEMO").exists()


def product_commands() -> set[str]:
    return {
        name
        for name, app in get_commands().items()
        if app.startswith("waystation") or name in OPERATOR_FRAMEWORK
    }


def _developer_form(command: str, args: list[str]) -> bool:
    """Whether this use of a product command is the developer's (only `migrate` has one)."""
    if command != "migrate":
        return False
    rest = iter(args)
    for arg in rest:
        name = arg.partition("=")[0]
        if name in _MIGRATE_VALUED:
            if "=" not in arg:
                next(rest, None)
        elif arg not in _MIGRATE_FLAGS:
            return True
    return False


def refusal(command: str, args: list[str]) -> str | None:
    """Why `waystation COMMAND ARGS…` may not run here, in one line; None if it may."""
    commands = get_commands()
    if command not in commands:
        return f"unknown command {command!r}; `waystation help` lists the commands"
    if command in product_commands() and not _developer_form(command, args):
        return None
    shown = f"{command} {' '.join(args)}".strip() if command == "migrate" else command
    if not developer():
        return (
            f"`{shown}` is a developer tool of the framework, not a Waystation command; it runs "
            f"only with {DEVELOPER_SWITCH}=1 (see docs/operator.md)"
        )
    if (command in REAL_INSTANCE_REFUSED or command == "migrate") and not is_demo():
        return (
            f"`{shown}` would empty the database or bypass the roles and the audit log; it runs "
            f"only on the demo instance, never on {settings.DATA_DIR}, even with "
            f"{DEVELOPER_SWITCH}=1"
        )
    return None


# The instance options: they work with every command, before or after its name, and are read
# before the settings load (__main__._take_global_options), so no command's parser has them.
# Each --help shows the ones its command uses. Commands that need no passphrase use only the
# data directory; two subcommands need no instance at all.
INSTANCE_OPTIONS = {
    "--data-dir": (
        "DIR",
        "the instance's data directory (or WAYSTATION_DATA_DIR; default ./var)",
    ),
    "--passphrase-file": (
        "PATH",
        'read the passphrase from PATH, "-" for standard input (or '
        "WAYSTATION_PASSPHRASE_FILE); with neither, the command asks on the terminal",
    ),
}
_DATA_DIR_ONLY = {"panic", "demo"}
_NO_INSTANCE = {("evidence", "verify-export"), ("pathways", "check")}


def _add_instance_options(parser: argparse.ArgumentParser, command: str, sub: str | None):
    if (command, sub) in _NO_INSTANCE:
        return
    names = ["--data-dir"] if command in _DATA_DIR_ONLY else list(INSTANCE_OPTIONS)
    group = parser.add_argument_group("instance options")
    for name in names:
        metavar, text = INSTANCE_OPTIONS[name]
        group.add_argument(name, metavar=metavar, help=text, default=argparse.SUPPRESS)


def _subcommands(parser: argparse.ArgumentParser):
    """(name, parser) of each subcommand (`passphrase add`, `evidence ingest` …). argparse has
    no public way to list them: its subparsers action holds them in ``choices``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def command_help(command: str, args: list[str]) -> int:
    """Print `waystation COMMAND [SUB] --help` without opening the instance (no data directory,
    database or passphrase is needed to read it), with the instance options the command takes;
    returns the exit status."""
    instance = load_command_class(get_commands()[command], command)
    parser = instance.create_parser("waystation", command)
    _add_instance_options(parser, command, None)
    subs = dict(_subcommands(parser))
    for sub, subparser in subs.items():
        _add_instance_options(subparser, command, sub)
    positional = [a for a in args if not a.startswith("-")]
    asked = positional[:1] if positional[:1] and positional[0] in subs else []
    try:
        # argparse prints the help of the (sub)command asked for and exits.
        parser.parse_args([*asked, "--help"])
    except SystemExit as stop:
        return stop.code or 0
    return 0


def version_text() -> str:
    try:
        return f"waystation {metadata.version('waystation')}"
    except metadata.PackageNotFoundError:
        return "waystation (not installed as a package)"


def _first_sentence(command: str) -> str:
    text = " ".join(str(load_command_class(get_commands()[command], command).help).split())
    return text.split(". ")[0].rstrip(".")[:70]


def help_text() -> str:
    """What `waystation`, `waystation help` and `waystation --help` print."""
    lines = [
        "usage: waystation COMMAND [options]",
        "",
        *textwrap.wrap(
            "Waystation: secure case management and documentation for groups helping people "
            "who flee persecution. Commands that need the keys take --data-dir DIR and "
            "--passphrase-file PATH (or WAYSTATION_DATA_DIR and WAYSTATION_PASSPHRASE_FILE; "
            '"-" reads standard input); with neither, they ask on the terminal.',
            width=90,
        ),
    ]
    present = product_commands()
    listed = set()
    for title, commands in SECTIONS:
        rows = [(name, line) for name, line in commands if name in present]
        if rows:
            lines += ["", f"{title}:"]
            lines += [f"  {name:<15}{line}" for name, line in rows]
            listed |= {name for name, _line in rows}
    others = sorted(present - listed)
    if others:
        lines += ["", "Other:"]
        lines += [f"  {name:<15}{_first_sentence(name)}" for name in others]
    if developer():
        tools = sorted(set(get_commands()) - present)
        lines += ["", f"Developer tools ({DEVELOPER_SWITCH}=1; * only on the demo instance):"]
        lines += textwrap.wrap(
            ", ".join(f"{name}*" if name in REAL_INSTANCE_REFUSED else name for name in tools),
            width=88,
            initial_indent="  ",
            subsequent_indent="  ",
        )
    lines += [
        "",
        "`waystation help COMMAND` or `waystation COMMAND --help` tells more about one command.",
        "Running an instance: docs/operator.md.",
    ]
    return "\n".join(lines)
