from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    CASEWORKER = "caseworker", _("Caseworker")
    LAWYER = "lawyer", _("Lawyer")
    DOCUMENTATION_OFFICER = "documentation_officer", _("Documentation officer")
    SCREENER = "screener", _("Screener")
    TREASURER = "treasurer", _("Treasurer")
