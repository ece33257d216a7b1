from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from waystation.core.backup import BackupError, backup_restore
from waystation.core.passphrases import NoPassphrase, read_passphrase


class Command(BaseCommand):
    help = (
        "Restore a backup into the data directory (--data-dir). The whole file is decrypted and "
        "checked before anything is replaced; a damaged, cut-off or foreign file is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--replace", action="store_true", help="overwrite this same instance's current data"
        )

    def handle(self, *args, file, replace, **options):
        try:
            passphrase = read_passphrase(prompt="Passphrase valid when the backup was made: ")
            header = backup_restore(file, settings.DATA_DIR, passphrase, replace=replace)
        except (BackupError, NoPassphrase) as problem:
            raise CommandError(str(problem)) from None
        except OSError as problem:
            raise CommandError(f"cannot read {file}: {problem.strerror}") from None
        self.stdout.write(
            f"Restored the backup of {header['created']} into {settings.DATA_DIR}. "
            "Start the server to unseal it."
        )
