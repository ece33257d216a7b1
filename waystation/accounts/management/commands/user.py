import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from waystation.accounts.policy import Perm, system_actor
from waystation.accounts.roles import Role
from waystation.accounts.services import user_create

# The operator at the server's command line: creates accounts (the first coordinator).
ACTOR = system_actor("command.user", Perm.USERS_MANAGE)


def _read_password(path: str | None) -> str:
    if path == "-":
        return sys.stdin.readline().rstrip("\n")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.readline().rstrip("\n")
        except OSError as problem:
            raise CommandError(f"cannot read the password file: {problem.strerror}") from None
    if not sys.stdin.isatty():
        raise CommandError(
            "no terminal to ask for a password: use --password-file PATH (- = stdin)"
        )
    first = getpass.getpass("Password for the new account: ")
    if first != getpass.getpass("Same password again: "):
        raise CommandError("the two passwords differ; nothing was created")
    return first


class Command(BaseCommand):
    help = "Manage accounts from the command line. `user add NAME --role ROLE` creates one."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["add"])
        parser.add_argument("username")
        parser.add_argument("--role", action="append", choices=Role.values, required=True)
        parser.add_argument("--display-name", default="")
        parser.add_argument(
            "--password-file", help="read the password from this file (- = standard input)"
        )

    def handle(self, *args, username, role, display_name, password_file, **options):
        password = _read_password(password_file)
        try:
            user = user_create(
                actor=ACTOR,
                username=username,
                password=password,
                roles=role,
                display_name=display_name,
            )
        except ValidationError as problem:
            raise CommandError(" ".join(problem.messages) + " Nothing was created.") from None
        self.stdout.write(f"Created {user.username} ({', '.join(sorted(user.roles))})")
