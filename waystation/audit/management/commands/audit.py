from django.core.management.base import BaseCommand, CommandError

from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.audit.verify import verify_chain


class Command(BaseCommand):
    help = "Work with the audit log. `audit verify` checks every link of the chain."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):
        result = verify_chain()
        if not result.ok:
            raise CommandError(
                f"audit log broken at row {result.broken_seq}: {result.reason} "
                f"({result.checked} rows before it are intact)"
            )
        record(Event.AUDIT_VERIFIED, data={"rows": result.checked})
        self.stdout.write(f"audit log intact: {result.checked} rows verified")
