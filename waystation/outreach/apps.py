from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "waystation.outreach"
    label = "outreach"

    def ready(self):
        from . import tasks  # noqa: F401 - registers the worker's weekly digest check
