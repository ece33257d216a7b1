from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from waystation.core.panic import destroy_keys


class Command(BaseCommand):
    help = (
        "Destroy the instance's keys at once (no passphrase needed). Its encrypted data becomes "
        "unreadable for ever; backups stay locked by their own passphrases. A running server "
        "on this data directory notices within a second."
    )

    def handle(self, *args, **options):
        if not destroy_keys(settings.DATA_DIR):
            raise CommandError(f"no key-slot file in {settings.DATA_DIR}; nothing to destroy")
        self.stdout.write("Keys destroyed: this instance can no longer be opened.")
