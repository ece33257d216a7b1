from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "waystation.evidence"
    verbose_name = _("Testimony and evidence")

    def ready(self):
        from . import tasks  # noqa: F401 - registers the worker's timestamp check
