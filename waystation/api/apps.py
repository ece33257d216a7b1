from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The HTTP API under /api/v1/ (issue 23): the same services, selectors and permission
    table as the pages, reached with personal access tokens instead of a session."""

    name = "waystation.api"
    label = "api"
