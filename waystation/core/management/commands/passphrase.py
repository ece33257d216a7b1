from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from waystation.core.keyring import KEYRING
from waystation.core.keyslots import KeySlotError, KeySlotFile
from waystation.core.passphrases import NoPassphrase, read_passphrase


class Command(BaseCommand):
    help = (
        "Manage the instance passphrases (key slots): list them, add one (one per "
        "coordinator; --duress for a passphrase that destroys the keys), remove one."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "add", "remove"])
        parser.add_argument("--label", help="the slot's name, e.g. the coordinator's nickname")
        parser.add_argument(
            "--duress",
            action="store_true",
            help="entering this passphrase destroys the keys instead",
        )
        parser.add_argument(
            "--new-passphrase-file",
            help="read the new passphrase from this file (- = standard input)",
        )

    def handle(self, *args, action, label, duress, new_passphrase_file, **options):
        master = KEYRING.master_for_key_management()
        slots = KeySlotFile.load(settings.DATA_DIR)
        try:
            if action == "list":
                for slot in slots.list(master):
                    kind = "duress" if slot.duress else "normal"
                    self.stdout.write(f"{slot.index}  {kind:<7} {slot.label}")
                return
            if not label:
                raise CommandError(f"`passphrase {action}` needs --label")
            if action == "add":
                new = read_passphrase(
                    prompt="New passphrase: ", path=new_passphrase_file, confirm=True
                )
                slots.add(master, new, label, duress=duress)
            else:
                slots.remove(master, label)
            slots.save()
        except (KeySlotError, NoPassphrase) as problem:
            raise CommandError(f"{problem}; nothing was changed") from None
        self.stdout.write(f"{'Added' if action == 'add' else 'Removed'} the slot {label!r}.")
