"""The weekly digest of follow-ups: built once per ISO week by the background worker (or by a
coordinator on its page), audited, and announced by e-mail where e-mail is set up — the mail
says how many, never to whom or for whom."""

import logging
import smtplib
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from waystation.accounts.policy import Perm, check
from waystation.audit.events import Event
from waystation.audit.services import record

from .models import OutreachDigest
from .selectors import follow_up_due_date, unanswered_since

logger = logging.getLogger(__name__)


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def digest_due(today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return not OutreachDigest.objects.filter(week_start=week_start(today)).exists()


def outreach_digest_build(*, actor, today: date | None = None) -> OutreachDigest:
    """This week's digest: the approaches without an answer after OUTREACH_FOLLOW_UP_DAYS,
    as of ``today``. Built once a week; asked again, it returns the one there is."""
    check(actor, Perm.OUTREACH_DIGEST)
    today = today or timezone.localdate()
    monday = week_start(today)
    existing = OutreachDigest.objects.filter(week_start=monday).first()
    if existing is not None:
        return existing
    rows = list(unanswered_since(follow_up_due_date(today)).values_list("pk", "organisation_id"))
    try:
        with transaction.atomic():
            digest = OutreachDigest.objects.create(
                week_start=monday,
                built_on=today,
                follow_up_days=settings.OUTREACH_FOLLOW_UP_DAYS,
                approach_count=len(rows),
                organisation_count=len({organisation for _pk, organisation in rows}),
                approach_ids=[pk for pk, _organisation in rows],
            )
            record(
                Event.OUTREACH_DIGEST_BUILT,
                actor=actor,
                obj=digest,
                data={
                    "week": digest.week_label,
                    "approaches": digest.approach_count,
                    "organisations": digest.organisation_count,
                },
            )
    except IntegrityError:  # another worker built it meanwhile
        return OutreachDigest.objects.get(week_start=monday)
    _send_notice(digest)
    return digest


def _send_notice(digest: OutreachDigest) -> None:
    """A short mail to the configured addresses: counts and a link, nothing else. Mail leaves
    the instance's protection, so no organisation, contact or case is ever named in it."""
    if not (settings.EMAIL_HOST and settings.DIGEST_EMAIL_TO):
        return
    counts = ngettext(
        "%(count)d approach has had no answer for %(days)d days or more.",
        "%(count)d approaches have had no answer for %(days)d days or more.",
        digest.approach_count,
    ) % {"count": digest.approach_count, "days": digest.follow_up_days}
    organisations = _("Organisations waiting for a follow-up: %(count)d") % {
        "count": digest.organisation_count
    }
    link = settings.BASE_URL + reverse("outreach:digest_week", args=[digest.pk])
    body = "\n\n".join(
        [
            counts,
            organisations,
            _("Read the weekly digest in Waystation (sign-in needed):") + "\n" + link,
        ]
    )
    try:
        send_mail(
            _("Waystation: weekly follow-ups %(week)s") % {"week": digest.week_label},
            body,
            None,
            settings.DIGEST_EMAIL_TO,
        )
    except (OSError, smtplib.SMTPException) as problem:
        # The digest is built and shown on its page; only the notice is missing.
        logger.warning("the weekly digest notice was not sent (%s)", type(problem).__name__)
