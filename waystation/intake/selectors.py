from waystation.accounts.policy import Perm, get_for, visible

from .models import Attachment, IntakeRequest, RequestState

QUEUES = {
    "open": (RequestState.NEW, RequestState.OPEN),
    "spam": (RequestState.SPAM,),
    "declined": (RequestState.REJECTED,),
    "cases": (RequestState.CONVERTED,),
}


def queue_for(viewer, queue: str = "open"):
    """Requests in triage order: the most urgent situation first, then the oldest."""
    states = QUEUES.get(queue, QUEUES["open"])
    return (
        visible(viewer, IntakeRequest.objects.all(), Perm.INTAKE_TRIAGE)
        .filter(state__in=states)
        .select_related("case")
        .order_by("urgency_rank", "received_on", "id")
    )


def unread_count(viewer) -> int | None:
    """For the dashboard's badge; None for those who do not triage."""
    requests = visible(viewer, IntakeRequest.objects.all(), Perm.INTAKE_TRIAGE)
    if not requests.query.is_empty():
        return requests.filter(unread=True, state__in=QUEUES["open"]).count()
    return None


def request_for(viewer, pk) -> IntakeRequest:
    return get_for(viewer, IntakeRequest.objects.select_related("case"), pk, Perm.INTAKE_TRIAGE)


def attachment_for(viewer, pk) -> Attachment:
    return get_for(viewer, Attachment.objects.all(), pk, Perm.INTAKE_TRIAGE)
