import pytest
from django.urls import reverse

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases.models import Case
from waystation.intake import services
from waystation.intake.models import IntakeRequest, RequestState
from waystation.intake.services import PORTAL

pytestmark = pytest.mark.django_db


def _submit(urgency="transit", **extra):
    request, _codename = services.request_submit(
        actor=PORTAL, urgency=urgency, text="Помогите", **extra
    )
    return request


def test_queue_orders_by_urgency_then_age_and_only_coordinators_see_it(client_for, cast):
    from datetime import timedelta

    from django.utils import timezone

    old_stable = _submit("stable")
    IntakeRequest.objects.filter(pk=old_stable.pk).update(
        received_on=timezone.localdate() - timedelta(days=9)
    )
    new_detained = _submit("detained", languages="русский")
    old_transit = _submit("transit")
    IntakeRequest.objects.filter(pk=old_transit.pk).update(
        received_on=timezone.localdate() - timedelta(days=3)
    )
    newer_transit = _submit("transit")
    body = client_for("coordinator").get(reverse("triage:queue")).content.decode()
    order = [body.index(str(r.pk)) for r in (new_detained, old_transit, newer_transit, old_stable)]
    assert order == sorted(order)
    assert "русский" in body
    for name in ("caseworker", "lawyer", "treasurer", "screener", "documentation_officer"):
        assert client_for(name).get(reverse("triage:queue")).status_code == 403
        assert (
            client_for(name).get(reverse("triage:request", args=[new_detained.pk])).status_code
            == 403
        )


def test_dashboard_badge_counts_unread_requests(client_for, cast):
    item = _submit()
    _submit()
    body = client_for("coordinator").get(reverse("home:dashboard")).content.decode()
    assert "Unread requests" in body and ">2</a>" in body
    client_for("coordinator").get(reverse("triage:request", args=[item.pk]))
    body = client_for("coordinator").get(reverse("home:dashboard")).content.decode()
    assert ">1</a>" in body
    assert (
        "Unread requests"
        not in client_for("caseworker").get(reverse("home:dashboard")).content.decode()
    )


def test_reading_replying_and_spam_are_audited(client_for, cast):
    item = _submit()
    client = client_for("coordinator")
    page = client.get(reverse("triage:request", args=[item.pk]))
    assert "Помогите" in page.content.decode()
    empty = client.post(reverse("triage:reply", args=[item.pk]), {"text": "", "kind": "reply"})
    assert empty.status_code == 400
    client.post(
        reverse("triage:reply", args=[item.pk]), {"text": "Where are you now?", "kind": "question"}
    )
    client.post(reverse("triage:spam", args=[item.pk]))
    item.refresh_from_db()
    assert item.state == RequestState.SPAM
    events = list(AuditEvent.objects.filter(object_type="intake.intakerequest").order_by("seq"))
    assert [e.event for e in events] == [
        Event.INTAKE_OPENED,
        Event.INTAKE_REPLIED,
        Event.INTAKE_SPAM,
    ]
    assert events[1].data == {"kind": "question"}
    # Writing again brings a spam-marked request back into the queue.
    services.requester_reply(actor=PORTAL, request=item, text="It is really me")
    item.refresh_from_db()
    assert item.state == RequestState.NEW and item.unread


def test_convert_to_case_fills_it_from_the_request(client_for, cast):
    item = _submit(
        "detained",
        city="Astana",
        languages="ru, en",
        help_needed=["lawyer", "food", "relocation"],
        people_with=2,
    )
    response = client_for("coordinator").post(
        reverse("triage:convert", args=[item.pk]), {"codename": ""}
    )
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:case", args=[case.pk])
    assert (case.status, case.urgency, case.city, case.languages) == (
        "detained",
        4,
        "Astana",
        "ru, en",
    )
    assert sorted(case.needs.values_list("kind", flat=True)) == ["food", "lawyer", "other"]
    assert case.family.count() == 2
    item.refresh_from_db()
    assert item.case == case and item.state == RequestState.CONVERTED
    again = client_for("coordinator").post(
        reverse("triage:convert", args=[item.pk]), {"codename": ""}
    )
    assert again.status_code == 400 and Case.objects.count() == 1


def test_requester_deletes_everything(cast):
    item = _submit()
    services.staff_reply(actor=cast["coordinator"], request=item, text="ok")
    services.request_delete_by_requester(actor=PORTAL, request=item)
    assert not IntakeRequest.objects.exists()
    from waystation.intake.models import Message

    assert not Message.objects.exists()


def test_a_declined_request_written_again_comes_back_to_be_answered(client_for, cast):
    item = _submit()
    services.staff_reply(
        actor=cast["coordinator"], request=item, text="We cannot help, sorry", kind="decline"
    )
    coordinator = client_for("coordinator")
    queue = reverse("triage:queue")
    assert str(item.pk) not in coordinator.get(queue).content.decode()
    assert str(item.pk) in coordinator.get(queue + "?queue=declined").content.decode()
    services.requester_reply(actor=PORTAL, request=item, text="Please, one more thing")
    assert str(item.pk) in coordinator.get(queue).content.decode()
    assert str(item.pk) not in coordinator.get(queue + "?queue=declined").content.decode()
    assert ">1</a>" in coordinator.get(reverse("home:dashboard")).content.decode()
