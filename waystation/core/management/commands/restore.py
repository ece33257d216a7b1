from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from waystation.core.backup import BackupError, backup_protection, backup_restore
from waystation.core.keyslots import FILENAME
from waystation.core.passphrases import NoPassphrase, read_passphrase


class Command(BaseCommand):
    help = (
        "Restore a backup into the data directory (--data-dir). The whole file is decrypted and "
        "checked before anything is replaced; a damaged, cut-off or foreign file is refused. "
        "A backup made with --age-recipient needs --age-identity, and a new passphrase for the "
        "restored instance. The stored files a backup holds go into the configured file store; "
        "a new copy of the instance is refused a store that holds files already (it may be the "
        "original's) unless --into-used-store. Every session ends: members sign in again."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--replace", action="store_true", help="overwrite this same instance's current data"
        )
        parser.add_argument(
            "--age-identity",
            metavar="FILE",
            help="the age identity file (AGE-SECRET-KEY-1…) for a backup made with "
            "--age-recipient",
        )

        parser.add_argument(
            "--into-used-store",
            action="store_true",
            help="restore a new copy of the instance with a file store that holds files "
            "already: only when it is this instance's own store and the original is gone",
        )

    def handle(self, *args, file, replace, age_identity, into_used_store, **options):
        try:
            if backup_protection(file) == "age" and age_identity:
                keeps_slots = (settings.DATA_DIR / FILENAME).exists()
                passphrase = "" if keeps_slots else read_passphrase(
                    prompt="A passphrase for the restored instance: ", confirm=True
                )
            else:
                passphrase = read_passphrase(prompt="Passphrase valid when the backup was made: ")
            header = backup_restore(
                file,
                settings.DATA_DIR,
                passphrase,
                replace=replace,
                age_identity=Path(age_identity) if age_identity else None,
                into_used_store=into_used_store,
            )
        except (BackupError, NoPassphrase) as problem:
            raise CommandError(str(problem)) from None
        except OSError as problem:
            raise CommandError(f"cannot read {file}: {problem.strerror}") from None
        self.stdout.write(
            f"Restored the backup of {header['created']} into {settings.DATA_DIR}. "
            "Start the server to unseal it."
        )
        self.stdout.write("Every session has ended: members sign in again.")
        if header.get("files") or header["files_put"]:
            self.stdout.write(f"Stored files put back into the file store: {header['files_put']}.")
        else:
            self.stdout.write(
                "The stored files are not in this backup: the instance uses the configured file "
                "store as it is; `waystation blobs check` lists any file it lacks."
            )
