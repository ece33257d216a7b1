from django.db.models import Q

from waystation.accounts.policy import Perm, get_for, visible
from waystation.core.prepared import prepared_rows

from . import codenames
from .models import Attachment, IntakeRequest, RequestState

QUEUES = {
    "open": (RequestState.NEW, RequestState.OPEN),
    "spam": (RequestState.SPAM,),
    "declined": (RequestState.REJECTED,),
    "cases": (RequestState.CONVERTED,),
}


def _in_queue(queue: str) -> Q:
    """ "To answer" also holds declined requests and those that became cases when the requester
    has written again since: a new message must not wait unseen in another tab."""
    in_states = Q(state__in=QUEUES.get(queue, QUEUES["open"]))
    if queue == "open":
        return in_states | Q(unread=True, state__in=_WRITTEN_AGAIN)
    if queue in ("declined", "cases"):
        return in_states & Q(unread=False)
    return in_states


_WRITTEN_AGAIN = (RequestState.REJECTED, RequestState.CONVERTED)


def queue_for(viewer, queue: str = "open"):
    """Requests in triage order: the most urgent situation first, then the oldest."""
    return (
        visible(viewer, IntakeRequest.objects.all(), Perm.INTAKE_TRIAGE)
        .filter(_in_queue(queue if queue in QUEUES else "open"))
        .select_related("case")
        .order_by("urgency_rank", "received_on", "id")
    )


def unread_count(viewer) -> int | None:
    """For the dashboard's badge; None for those who do not triage."""
    requests = visible(viewer, IntakeRequest.objects.all(), Perm.INTAKE_TRIAGE)
    if requests.query.is_empty():
        return None
    # On every dashboard of a coordinator: its SQL compiled once (see core.prepared).
    return prepared_rows("unread-requests", _unread, viewer, count=True)


def _unread(viewer):
    requests = visible(viewer, IntakeRequest.objects.all(), Perm.INTAKE_TRIAGE)
    return requests.filter(_in_queue("open"), unread=True)


def request_for(viewer, pk) -> IntakeRequest:
    return get_for(viewer, IntakeRequest.objects.select_related("case"), pk, Perm.INTAKE_TRIAGE)


def attachment_for(viewer, pk) -> Attachment:
    return get_for(viewer, Attachment.objects.all(), pk, Perm.INTAKE_TRIAGE)


def request_for_codename(typed: str) -> IntakeRequest | None:
    """The request this codename opens, or None. The slow hash is computed whatever was typed,
    so a wrong codename and one that never existed take the same time and look the same."""
    lookup = codenames.lookup(typed)
    return IntakeRequest.objects.filter(lookup=lookup).first()


def in_evidence(request: IntakeRequest) -> bool:
    """Whether the group took a file of this request into its evidence (it stays there when
    the requester deletes the request)."""
    return Attachment.objects.filter(message__request=request, evidence_item__isnull=False).exists()
