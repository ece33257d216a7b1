import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from waystation.core.keyslots import describe
from waystation.core.panic import destroy_keys


class Command(BaseCommand):
    help = (
        "Destroy the instance's keys at once (no passphrase needed). Its encrypted data becomes "
        "unreadable for ever; backups stay locked by their own passphrases. A running server "
        "on this data directory notices within a second; in PostgreSQL mode every server and "
        "worker of the instance, on any machine."
    )

    def handle(self, *args, **options):
        where = describe(settings.DATA_DIR)
        try:
            shredded = destroy_keys(settings.DATA_DIR)
        except psycopg.Error as problem:
            raise CommandError(
                f"cannot reach {where} ({problem}): the shared key slots were NOT destroyed; "
                "try again, or stop every server and worker of the instance"
            ) from None
        if not shredded:
            raise CommandError(f"no key slots in {where}; nothing to destroy")
        self.stdout.write("Keys destroyed: this instance can no longer be opened.")
