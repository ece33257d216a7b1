from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from waystation.core.instance import instance_create, instance_exists
from waystation.core.keyring import KEYRING
from waystation.demo import (
    DEMO_CASES,
    DEMO_LANGUAGE,
    DEMO_PASSPHRASE,
    DEMO_PASSWORD,
    demo_cases_line,
    demo_logins,
    demo_populate,
    demo_second_factor_line,
)


class Command(BaseCommand):
    help = (
        "Create (first time) or update the demo instance in the data directory and print the "
        "demo logins. Refuses a directory that holds a real instance."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--cases",
            type=int,
            default=DEMO_CASES,
            help=f"synthetic cases to generate in a new demo instance (default {DEMO_CASES})",
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=DEMO_LANGUAGE,
            help="the language of a new demo's names, notes, tasks and other texts, as a group "
            f"working in it would write them (default {DEMO_LANGUAGE}); the interface's "
            "language is each member's own choice",
        )

    def handle(self, *args, cases, language, **options):
        if cases < 0:
            raise CommandError("--cases must be 0 or more")

        data_dir = settings.DATA_DIR
        if not instance_exists(data_dir):
            instance_create(data_dir, passphrase=DEMO_PASSPHRASE, label="demo", demo=True)
            self.stdout.write(f"Created a demo instance in {data_dir}")
        elif not (data_dir / "DEMO").exists():
            raise CommandError(
                f"{data_dir} holds a real instance, not a demo; set WAYSTATION_DATA_DIR to "
                "another directory for the demo"
            )
        else:
            if not KEYRING.unseal(data_dir, DEMO_PASSPHRASE):
                raise CommandError(
                    f"the demo passphrase no longer opens {data_dir} (keys destroyed?); "
                    "remove the directory to start a new demo"
                )
            call_command("migrate", interactive=False, verbosity=0)
        written = demo_populate(cases=cases, language=language)
        self.stdout.write(demo_cases_line(written=written, generated=cases if written else 0))
        self.stdout.write(f"\n  Instance passphrase (unseal): {DEMO_PASSPHRASE}")
        self.stdout.write("\nDemo logins (every member has the password shown below):")
        for username, roles in demo_logins():
            self.stdout.write(f"  {username:<8} {roles}")
        self.stdout.write(f"\n  Demo password: {DEMO_PASSWORD}")
        self.stdout.write(f"  {demo_second_factor_line()}\n")
