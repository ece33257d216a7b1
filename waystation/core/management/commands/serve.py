from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = "Serve Waystation through the waitress WSGI server (one process, several threads)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host, port, threads, **options):
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database schema is out of date: run `waystation migrate`.")
        import waitress

        from waystation.wsgi import application

        self.stdout.write(f"Waystation is serving on http://{host}:{port}/ (Ctrl+C stops it)")
        self.stdout.flush()
        # ident="" keeps the server name out of responses; waitress writes no access log.
        waitress.serve(application, host=host, port=port, threads=threads, ident="")
