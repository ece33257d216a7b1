"""Trusted timestamps (RFC 3161) for evidence: over each item's SHA-256 at ingest, over the
custody chain heads and the audit chain head at each export and once a day.

Never in the way: at ingest a *pending* token is written per configured authority in the
ingest's transaction, and the background worker asks for it afterwards (``fill_due``, queued
when the ingest commits and by the worker's periodic check). An authority out of reach is
asked again later, waiting longer each time (one minute, doubling, at most six hours); after a
week, or when the authority refuses or sends a token that does not check, the token is
*failed* with the reason. Only hashes and counts are sent (core.timestamps).
"""

import hashlib
import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from waystation.audit.models import GENESIS_MAC, AuditChainHead
from waystation.core import timestamps

from .models import CustodyEntry, Item, TimestampStatus, TimestampSubject, TimestampToken

logger = logging.getLogger(__name__)

FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
GIVE_UP_AFTER = timedelta(days=7)
DAILY = timedelta(days=1)
BATCH = 50  # tokens asked for per run of the task


def item_statement(sha256: str) -> str:
    """What is stamped for an item: its SHA-256 (the TSA signs the SHA-256 of this text)."""
    return f"Waystation evidence item\nSHA-256 {sha256}\n"


def audit_head() -> tuple[int, str]:
    head = AuditChainHead.objects.filter(pk=1).values_list("seq", "mac").first()
    return head or (0, GENESIS_MAC)


def heads_statement(*, occasion: str, custody: list[tuple[str, int, str]]) -> str:
    """The audit chain head and, one line each, the custody chain heads (item, entry number,
    entry hash) — for an export, those of its items as its custody.json holds them."""
    seq, mac = audit_head()
    lines = [
        "Waystation chain heads",
        f"occasion {occasion}",
        f"at {timezone.now().isoformat(timespec='seconds')}",
        f"audit log row {seq} MAC {mac}",
        f"custody chains {len(custody)}",
    ]
    lines += [f"custody {item} entry {seq} {entry_hash}" for item, seq, entry_hash in custody]
    return "\n".join(lines) + "\n"


def daily_statement() -> str:
    """Once a day, every chain: the audit head and one SHA-256 over all custody heads (one
    line each, in the form above, ordered by item) — the list itself can be long."""
    digest, count = hashlib.sha256(), 0
    last = CustodyEntry.objects.filter(item_id=OuterRef("item_id")).order_by("-seq")
    heads = (
        CustodyEntry.objects.filter(seq=Subquery(last.values("seq")[:1]))
        .order_by("item_id")
        .values_list("item_id", "seq", "entry_hash")
    )
    for item_id, seq, entry_hash in heads.iterator(2000):
        digest.update(f"custody {item_id} entry {seq} {entry_hash}\n".encode())
        count += 1
    seq, mac = audit_head()
    return (
        "Waystation chain heads\noccasion daily\n"
        f"at {timezone.now().isoformat(timespec='seconds')}\n"
        f"audit log row {seq} MAC {mac}\n"
        f"custody chains {count}\ncustody heads SHA-256 {digest.hexdigest()}\n"
    )


def queue_item(item: Item) -> None:
    """In the ingest's transaction: a pending token per configured authority; the worker is
    told once the ingest commits. Nothing when no authority is configured."""
    urls = timestamps.authorities()
    if not urls:
        return
    TimestampToken.objects.bulk_create(
        TimestampToken(
            subject=TimestampSubject.ITEM,
            item=item,
            statement=item_statement(item.sha256),
            authority=url,
        )
        for url in urls
    )
    transaction.on_commit(_wake_worker)


def _wake_worker() -> None:
    # The task module imports this one; this import is the other way round (a real cycle).
    from .tasks import queue_timestamps

    try:
        queue_timestamps()
    except Exception:  # the periodic check queues it anyway; never fail the ingest
        logger.warning("could not queue the timestamp task now; the worker's check will")


def stamp_heads(statement: str) -> list[TimestampToken]:
    """Tokens over ``statement`` (chain heads), asked for now, once per authority (an export
    carries those obtained); one that cannot be had now stays pending for the worker."""
    made = []
    for url in timestamps.authorities():
        token = TimestampToken.objects.create(
            subject=TimestampSubject.HEADS, statement=statement, authority=url
        )
        _attempt(token)
        made.append(token)
    return made


def daily_due() -> bool:
    if not timestamps.enabled():
        return False
    since = timezone.now() - DAILY
    heads = TimestampToken.objects.filter(subject=TimestampSubject.HEADS, requested_at__gte=since)
    # The statements are sealed on PostgreSQL: read in memory (a day's few rows).
    statements = heads.values_list("statement", flat=True)
    return not any("\noccasion daily\n" in text for text in statements)


def queue_daily() -> None:
    statement = daily_statement()
    TimestampToken.objects.bulk_create(
        TimestampToken(subject=TimestampSubject.HEADS, statement=statement, authority=url)
        for url in timestamps.authorities()
    )


def due():
    return TimestampToken.objects.filter(
        status=TimestampStatus.PENDING, next_try_at__lte=timezone.now()
    )


def fill_due() -> int:
    """Ask for the tokens that are due (the background task). Returns how many were had."""
    obtained = 0
    for token in due().order_by("next_try_at")[:BATCH]:
        _attempt(token)
        obtained += token.status == TimestampStatus.OBTAINED
    return obtained


def _attempt(token: TimestampToken) -> None:
    """One request for ``token``; its row says what came of it."""
    now = timezone.now()
    token.attempts += 1
    try:
        stamp = timestamps.request(token.authority, token.statement.encode())
    except timestamps.TimestampError as error:
        token.reason = error.reason[:300]
        if error.transient and now - token.requested_at < GIVE_UP_AFTER:
            wait = min(FIRST_WAIT * 2 ** (token.attempts - 1), LONGEST_WAIT)
            token.next_try_at = now + wait
        else:
            token.status = TimestampStatus.FAILED
    else:
        token.status = TimestampStatus.OBTAINED
        token.token, token.stamped_at, token.reason = stamp.token, stamp.stamped_at, ""
    token.save(update_fields=["attempts", "reason", "next_try_at", "status", "token", "stamped_at"])
