"""Who recorded a row, and when: one abstract model for the records that say so (a status step,
a risk event, a testimony, an event, a consent, a screening concern)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Recorded(models.Model):
    """``recorded_by`` is the member who recorded the row, or none when a command or a task
    did (``accounts.policy.member(actor)``; the audit row names the system actor)."""

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
