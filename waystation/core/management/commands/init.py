from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from waystation.core.instance import InstanceExists, instance_create


class Command(BaseCommand):
    help = "Create a new Waystation instance in the data directory (--data-dir DIR)."

    def handle(self, *args, **options):
        try:
            instance_create(settings.DATA_DIR)
        except InstanceExists as problem:
            raise CommandError(f"{problem}; choose another --data-dir") from None
        self.stdout.write(f"Created a Waystation instance in {settings.DATA_DIR}")
        self.stdout.write(
            "Next: add the first coordinator with\n"
            f"  waystation user add NAME --role coordinator --data-dir {settings.DATA_DIR}\n"
            f"then start it with: waystation serve --data-dir {settings.DATA_DIR}"
        )
