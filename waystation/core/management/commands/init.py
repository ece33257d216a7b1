from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from waystation.core.instance import InstanceExists, instance_create
from waystation.core.keyslots import KeySlotError
from waystation.core.passphrases import NoPassphrase, read_passphrase


class Command(BaseCommand):
    help = (
        "Create a new Waystation instance in the data directory: a random master key wrapped "
        "with your passphrase (Argon2id), and the encrypted database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--label",
            default="first coordinator",
            help="a name for this passphrase's slot (shown by `passphrase list`)",
        )

    def handle(self, *args, label, **options):
        try:
            passphrase = read_passphrase(prompt="New instance passphrase: ", confirm=True)
            instance_create(settings.DATA_DIR, passphrase=passphrase, label=label)
        except (InstanceExists, KeySlotError, NoPassphrase) as problem:
            raise CommandError(f"{problem}; nothing was created") from None
        self.stdout.write(f"Created a Waystation instance in {settings.DATA_DIR}")
        self.stdout.write(
            "Next: add the first coordinator with\n"
            f"  waystation user add NAME --role coordinator --data-dir {settings.DATA_DIR}\n"
            f"then start it with: waystation serve --data-dir {settings.DATA_DIR}\n"
            "Keep the passphrase safe: without it (or another slot's) the data cannot be opened."
        )
