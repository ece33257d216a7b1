"""Reads for testimonies, events and items: each takes the viewer and returns only what the
policy lets them see."""

from typing import NamedTuple

from django.db.models import Count, Prefetch

from waystation.accounts.policy import Perm, can, get_for, visible
from waystation.cases.models import Case
from waystation.core import corrections

from .models import (
    ChatMessage,
    CustodyEntry,
    Event,
    Handover,
    Item,
    ItemOrigin,
    PersonConsent,
    Testimony,
    TestimonyAddendum,
    TestimonyEvent,
    Verification,
)

# -- the messages of a chat export (see telegram.py) -------------------------------------------
# chat_lines comes first; the other selectors of this module follow it.


class ChatPage(NamedTuple):
    lines: list[ChatMessage]
    count: int  # how many messages there are in all (that match the query, if one is given)


def chat_lines(item: Item, *, query: str = "", limit: int = 200, offset: int = 0) -> ChatPage:
    """One page of a chat export item's messages, in order, and how many there are; with
    ``query``, only those whose sender or text contains it, ignoring case. The caller has
    already found ``item`` through ``items_for(viewer)``.

    Sender and text are encrypted, so a search cannot be done by the database: the messages
    are streamed from it a batch at a time (sender and text only), decrypted and matched
    here, and only the ids of the page asked for are kept, its rows then fetched whole. A
    search goes through all of an item's messages, to count them: about 7 s for 100,000."""
    limit, offset = max(0, limit), max(0, offset)
    rows = ChatMessage.objects.filter(item=item).order_by("position")
    needle = query.strip().casefold()
    if not needle:
        return ChatPage(list(rows[offset : offset + limit]), rows.count())
    page: list = []
    count = 0
    for row in rows.only("id", "sender", "text").iterator(chunk_size=500):
        if needle in row.text.casefold() or needle in row.sender.casefold():
            if offset <= count < offset + limit:
                page.append(row.pk)
            count += 1
    return ChatPage(list(rows.filter(pk__in=page)) if page else [], count)


# -- testimonies, events, items -----------------------------------------------------------------


def testimonies_for(viewer, *, case=None):
    rows = visible(viewer, Testimony.objects.all(), Perm.EVIDENCE_VIEW)
    if case is not None:
        rows = rows.filter(case=case)
    return rows.select_related("case", "interviewer").order_by("-interviewed_on", "-recorded_at")


def items_for(viewer, *, case=None):
    rows = visible(viewer, Item.objects.all(), Perm.EVIDENCE_VIEW)
    if case is not None:
        rows = rows.filter(case=case)
    return rows.select_related("case").defer(
        "extracted_metadata", "description", "verification_reason", "acquired_from"
    )


def listing(viewer, tab: str, *, codename: str = ""):
    """The rows of one tab of the evidence page ("items", "testimonies", "events"), those of
    the case ``codename`` only when given (events belong to no one case)."""
    if tab == "items":
        rows = items_for(viewer).order_by("-ingested_at", "pk")
    elif tab == "testimonies":
        rows = testimonies_for(viewer)
    else:
        return events_for(viewer)
    return rows.filter(case__codename__iexact=codename) if codename else rows


def witness_testimonies(viewer, *, not_case=None):
    """Testimonies an item can be recorded as given by: another witness's, so not those of
    ``not_case`` (the person of the item's own case gives his items as the person)."""
    rows = testimonies_for(viewer)
    return rows.exclude(case=not_case) if not_case is not None else rows


def person_consent_of(case) -> PersonConsent | None:
    return PersonConsent.objects.filter(case=case).select_related("recorded_by").first()


def items_from_person(viewer, case):
    """The items of ``case`` whose release the consent of its person governs."""
    return items_for(viewer, case=case).filter(origin=ItemOrigin.PERSON).order_by("ingested_at")


def events_for(viewer):
    rows = visible(viewer, Event.objects.all(), Perm.EVIDENCE_VIEW)
    return rows.annotate(
        testimony_count=Count("testimony_links", distinct=True),
        item_count=Count("items", distinct=True),
    ).order_by("-date_from", "recorded_at")  # not by title: sealed on PostgreSQL


def event_links(viewer, event: Event):
    """The testimonies and items of an event that the viewer may see."""
    testimonies = visible(viewer, Testimony.objects.all(), Perm.EVIDENCE_VIEW)
    links = (
        TestimonyEvent.objects.filter(event=event, testimony__in=testimonies)
        .select_related("testimony__case")
        .order_by("testimony__interviewed_on")
    )
    items = items_for(viewer).filter(events=event)
    return list(links), list(items)


def testimony_events(testimony: Testimony):
    """The events the testimony speaks of; withdrawn events left out."""
    return list(
        TestimonyEvent.objects.filter(testimony=testimony, event__withdrawn_at__isnull=True)
        .select_related("event")
        .order_by("event__date_from")
    )


def custody_of(viewer, item: Item):
    rows = visible(viewer, CustodyEntry.objects.all(), Perm.EVIDENCE_VIEW)
    return rows.filter(item=item).select_related("actor").order_by("seq")


def item_with_events(item: Item) -> Item:
    by_date = Event.objects.order_by("date_from", "recorded_at")  # titles: sealed on PostgreSQL
    return Item.objects.prefetch_related(Prefetch("events", by_date)).get(pk=item.pk)


def cases_to_document(viewer):
    """The cases a person may attach testimonies and items to, by codename: every case for
    those who document (they see codenames only, never identities), none for anyone else."""
    return Case.objects.all() if can(viewer, Perm.EVIDENCE_EDIT) else Case.objects.none()


def testimony_addenda(testimony: Testimony) -> list[TestimonyAddendum]:
    """The corrections to a testimony's statement, oldest first. The caller has found the
    testimony through ``get_for``: whoever may read it reads them, no one else."""
    return list(testimony.addenda.select_related("added_by").order_by("number"))


def event_with_history(viewer, pk) -> tuple[Event, list]:
    """An event, withdrawn or not, and its earlier versions (newest first), for those who
    document; 404 for everyone else, as for a missing event."""
    found = get_for(viewer, Event.all_objects.all(), pk, Perm.EVIDENCE_EDIT)
    return found, corrections.history(found)


def withdrawn_events(viewer):
    """Events withdrawn, newest withdrawal first, for those who document: their history stays
    readable from here."""
    rows = Event.all_objects.filter(withdrawn_at__isnull=False)
    return visible(viewer, rows, Perm.EVIDENCE_EDIT).select_related("withdrawn_by").order_by(
        "-withdrawn_at"
    )


def event_values(event: Event) -> dict:
    """The event's correctable fields as they stand, to fill the correction form."""
    return corrections.snapshot(event)


def current_handover(item: Item) -> Handover | None:
    """The hand-over that has the item's medium out of our hands now, if any."""
    return item.handovers.filter(returned_at__isnull=True).first()


def handovers_of(item: Item) -> list[Handover]:
    """Each time the item's medium left our hands, newest first; the first one not returned
    yet, if any, says where it is now."""
    return list(
        item.handovers.select_related("transferred_by", "returned_by").order_by("-transferred_at")
    )


# -- for other features: what a case's evidence shows by its kind ------------------------------
# Pathways' readiness counts these, reading codes and dates only, never a file, a name or a
# statement. The caller has checked that its viewer may open the case.


def item_kinds_of(case, kinds) -> list[tuple[str, str, object]]:
    """(kind, verification, acquired on) of the case's items of ``kinds`` not disputed, oldest
    first: one query."""
    return list(
        Item.objects.filter(case=case, kind__in=list(kinds))
        .exclude(verification=Verification.DISPUTED)
        .values_list("kind", "verification", "acquired_on")
        .order_by("acquired_on", "id")
    )


def statement_dates_of(case) -> list:
    """When each testimony of the case whose consent stands was taken, oldest first."""
    return list(
        Testimony.objects.filter(case=case, consent_withdrawn_on__isnull=True)
        .values_list("interviewed_on", flat=True)
        .order_by("interviewed_on")
    )
