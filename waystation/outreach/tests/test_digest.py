"""The weekly digest of follow-ups: exactly the approaches without an answer after the waiting
time (around the edge), built once a week by the worker, audited, shown to coordinators only,
and announced by a mail that names no one."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from waystation.accounts.policy import Perm, system_actor
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases.tests.factories import make_case
from waystation.core.worker import Worker
from waystation.outreach import services
from waystation.outreach.digest import outreach_digest_build, week_start
from waystation.outreach.models import OutreachDigest
from waystation.outreach.tasks import queue_weekly_digest

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 11)  # a Wednesday; its ISO week starts on 9 March

# Writes in these tests are made as an operator's command would make them.
EDITOR = system_actor("test.outreach", Perm.OUTREACH_EDIT)
# The digest as the worker builds it (outreach.tasks.DIGEST_ACTOR).
BUILDER = system_actor("task.outreach.digest", Perm.OUTREACH_DIGEST)


@pytest.fixture(autouse=True)
def _waiting_time(settings):
    settings.OUTREACH_FOLLOW_UP_DAYS = 21


@pytest.fixture
def log(cast):
    """Approaches on both sides of the 21-day edge, answered and not."""
    me = cast["coordinator"]
    unhcr = services.organisation_create(actor=me, name="UNHCR Almaty", country="KZ")
    embassy = services.organisation_create(actor=me, name="Embassy of Canada")
    quiet = services.organisation_create(actor=me, name="Quiet Foundation")

    def approach(organisation, days_ago, channel="email", contact=""):
        return services.approach_create(
            actor=me,
            organisation=organisation,
            date=TODAY - timedelta(days=days_ago),
            channel=channel,
            contact_name=contact,
            subject="Visa for a family",
            case=make_case(codename=f"amber-falcon-{days_ago}") if days_ago == 40 else None,
        )

    made = {
        "edge": approach(unhcr, 21, contact="Aigerim"),  # exactly the waiting time: due
        "older": approach(unhcr, 22, channel="letter"),
        "noted": approach(embassy, 40, channel="phone"),  # "still nothing" noted: due
        "young": approach(embassy, 20),  # one day short
        "today": approach(quiet, 0),
        "answered": approach(quiet, 60),
    }
    services.response_record(
        actor=me, approach=made["noted"], kind="none", date=TODAY - timedelta(days=10)
    )
    services.response_record(
        actor=me, approach=made["answered"], kind="declined", date=TODAY - timedelta(days=50)
    )
    return made


def test_the_digest_lists_exactly_the_unanswered_approaches_past_the_waiting_time(cast, log):
    digest = outreach_digest_build(actor=BUILDER, today=TODAY)
    assert sorted(digest.approach_ids) == sorted([log["edge"].pk, log["older"].pk, log["noted"].pk])
    assert digest.week_start == date(2026, 3, 9) == week_start(TODAY)
    assert digest.week_label == "2026-W11"
    assert (digest.approach_count, digest.organisation_count, digest.follow_up_days) == (3, 2, 21)
    row = AuditEvent.objects.get(event=Event.OUTREACH_DIGEST_BUILT)
    assert row.object_id == str(digest.pk) and row.actor is None
    assert row.data == {
        "week": "2026-W11",
        "approaches": 3,
        "organisations": 2,
        "system": "task.outreach.digest",
    }
    # Once a week: asked again the same week, the same digest and no second audit row.
    assert outreach_digest_build(actor=BUILDER, today=TODAY + timedelta(days=4)) == digest
    assert AuditEvent.objects.filter(event=Event.OUTREACH_DIGEST_BUILT).count() == 1
    # The next week has its own.
    assert outreach_digest_build(actor=BUILDER, today=TODAY + timedelta(days=5)) != digest


def test_the_worker_queues_and_builds_this_weeks_digest_once(log):
    queue_weekly_digest()
    assert DBTaskResult.objects.count() == 1
    queue_weekly_digest()  # queued already: not twice
    assert DBTaskResult.objects.count() == 1
    Worker().run(once=True)
    digest = OutreachDigest.objects.get()
    assert digest.week_start == week_start(timezone.localdate())
    queue_weekly_digest()  # built: nothing more this week
    assert DBTaskResult.objects.count() == 1


def test_coordinators_read_it_grouped_by_organisation(client_for, log):
    digest = outreach_digest_build(actor=BUILDER, today=TODAY)
    services.response_record(
        actor=EDITOR, approach=log["older"], kind="acknowledged", date=TODAY + timedelta(days=1)
    )
    client = client_for("coordinator")
    page = client.get(reverse("outreach:digest")).content.decode()
    assert "2026-W11" in page
    unhcr, embassy = page.index("UNHCR Almaty"), page.index("Embassy of Canada")
    assert embassy < unhcr  # the one that waited longest first
    assert reverse("outreach:organisation", args=[log["edge"].organisation_id]) in page
    for days in (">21<", ">22 · ", ">40<"):
        assert days in page
    assert "answered since" in page and "Aigerim" in page and "Letter" in page
    assert "Quiet Foundation" not in page and ">20<" not in page
    assert "amber-falcon" not in page  # the digest names no case
    assert client.get(reverse("outreach:digest_week", args=[digest.pk])).status_code == 200


def test_the_digest_is_linked_from_the_dashboard_and_the_directory(client_for):
    client = client_for("coordinator")
    link = reverse("outreach:digest")
    assert link in client.get(reverse("home:dashboard")).content.decode()
    assert link in client.get(reverse("outreach:directory")).content.decode()
    assert link not in client_for("caseworker").get(reverse("outreach:directory")).content.decode()


@pytest.mark.parametrize(
    "name", ["caseworker", "lawyer", "treasurer", "screener", "documentation_officer"]
)
def test_only_coordinators_see_it(client_for, log, name):
    digest = outreach_digest_build(actor=BUILDER, today=TODAY)
    client = client_for(name)
    assert client.get(reverse("outreach:digest")).status_code == 403
    assert client.get(reverse("outreach:digest_week", args=[digest.pk])).status_code == 403
    assert client.post(reverse("outreach:digest_build")).status_code == 403


def test_a_coordinator_can_build_it_now(client_for, cast, log):
    client = client_for("coordinator")
    assert "No digest yet" in client.get(reverse("outreach:digest")).content.decode()
    built = client.post(reverse("outreach:digest_build"))
    digest = OutreachDigest.objects.get()
    assert built["Location"] == reverse("outreach:digest_week", args=[digest.pk])
    assert AuditEvent.objects.get(event=Event.OUTREACH_DIGEST_BUILT).actor == cast["coordinator"]


def test_the_mail_says_how_many_and_names_no_one(settings, mailoutbox, log):
    outreach_digest_build(actor=BUILDER, today=TODAY)
    assert mailoutbox == []  # no mail server set up: no mail
    settings.EMAIL_HOST = "smtp.example.org"
    settings.DIGEST_EMAIL_TO = ["coordinators@example.org"]
    settings.BASE_URL = "http://example.onion"
    digest = outreach_digest_build(actor=BUILDER, today=TODAY + timedelta(days=7))
    (mail,) = mailoutbox
    assert mail.to == ["coordinators@example.org"]
    assert "2026-W12" in mail.subject
    # A week later the approach that was one day short is due as well.
    assert "4 approaches have had no answer for 21 days or more." in mail.body
    assert "Organisations waiting for a follow-up: 2" in mail.body
    assert f"http://example.onion/outreach/digest/{digest.pk}/" in mail.body
    for secret in ("UNHCR", "Canada", "Aigerim", "amber", "falcon", "Visa"):
        assert secret not in mail.subject + mail.body
