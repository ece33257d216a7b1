from django.apps import AppConfig

from waystation.core.serving import server_started


class ApiConfig(AppConfig):
    """The HTTP API under /api/v1/ (issue 23): the same services, selectors and permission
    table as the pages, reached with personal access tokens instead of a session."""

    name = "waystation.api"
    label = "api"

    def ready(self):
        # Imported here, not at the top: the module uses models, which exist once apps are.
        from .uploads import uploads_expire_at_start

        server_started.connect(uploads_expire_at_start, dispatch_uid="api-uploads-expire")
