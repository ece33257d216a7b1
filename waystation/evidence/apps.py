from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "waystation.evidence"
    verbose_name = _("Testimony and evidence")
