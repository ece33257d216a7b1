from django.core.management.base import BaseCommand, CommandError

from waystation.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write one encrypted backup file (database taken online, stored files, key slots). "
        "Restoring it needs an instance passphrase valid at the time of the backup."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", required=True, help="the backup file to write (must not exist)"
        )

    def handle(self, *args, out, **options):
        try:
            info = backup_create(out)
        except (BackupError, OSError) as problem:
            raise CommandError(str(problem)) from None
        self.stdout.write(f"Backup written: {info.path} ({info.size} bytes, {info.database})")
