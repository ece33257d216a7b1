from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from waystation.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write one encrypted backup file (database taken online, key slots, and the stored "
        "files: by default when they are in a local directory, with --with-files from an S3 "
        "bucket). "
        "Restoring it needs an instance passphrase valid at the time of the backup, or, with "
        "--age-recipient, the matching age identity and no passphrase at all."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", required=True, help="the backup file to write (must not exist)"
        )
        parser.add_argument(
            "--age-recipient",
            action="append",
            default=[],
            metavar="AGE1…",
            help="encrypt to this age public key (its identity kept offline) instead of the "
            "instance passphrases; no passphrase opens such a backup, and a panic does not "
            "reach it; may be given several times",
        )

        files = parser.add_mutually_exclusive_group()
        files.add_argument(
            "--with-files",
            action="store_true",
            default=None,
            help="copy the stored files into the backup (already encrypted, streamed): the "
            "default for a local file directory; for an S3 bucket only when asked",
        )
        files.add_argument(
            "--without-files",
            dest="with_files",
            action="store_false",
            help="leave the stored files out; back the file store up on its own as "
            "docs/operator.md says",
        )

    def handle(self, *args, out, age_recipient, with_files, **options):
        if with_files is None:
            # A laptop's backup must hold its evidence; a bucket has its own versioning and
            # replicas, and may be far larger than one file should be (docs/server.md).
            with_files = settings.BLOB_STORE["backend"] == "local"
        try:
            info = backup_create(out, age_recipients=age_recipient, with_files=with_files)
        except (BackupError, OSError) as problem:
            raise CommandError(str(problem)) from None
        if info.leftovers_removed:
            self.stdout.write(
                f"Removed {info.leftovers_removed} folder(s) left by an interrupted backup."
            )
        opens = "the age identity" if info.protection == "age" else "an instance passphrase"
        self.stdout.write(
            f"Backup written: {info.path} ({info.size} bytes, {info.database}; opens with {opens})"
        )
        if info.files is None:
            self.stdout.write(
                "The stored files are not in this backup: add --with-files, or back the file "
                'store up on its own (docs/operator.md, "Backups and the file store").'
            )
        else:
            gone = f"; {info.files_gone} deleted while it ran" if info.files_gone else ""
            self.stdout.write(f"Stored files in the backup: {info.files}{gone}.")
