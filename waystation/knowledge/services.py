"""Writes for safety pages. Each service checks nothing about who may call it (views and the
command line use the policy first) and records its own audit row in the same transaction.
History is append-only: a change of the text is always a new revision, never an edit of one."""

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, check, member
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.refusals import Refusal

from .models import Category, Page, Revision


class KnowledgeError(Refusal):
    """A refusal with a message for the person; nothing was written."""


def _check(*, category: str, country: str) -> None:
    if category == Category.EXTRADITION and not country:
        raise KnowledgeError(_("A country note needs its country."))


def page_create(
    *,
    actor,
    topic: str,
    language: str,
    category: str,
    title: str,
    body: str,
    country: str = "",
    is_public: bool = False,
    note: str = "",
) -> Page:
    """A new page (or a new language version of a page: same topic, another language) with
    its first revision."""
    check(actor, Perm.KNOWLEDGE_EDIT)
    _check(category=category, country=country)
    with transaction.atomic():
        if Page.objects.filter(topic=topic, language=language).exists():
            raise KnowledgeError(_("A page with this address exists in this language already."))
        page = Page.objects.create(
            topic=topic,
            language=language,
            category=category,
            country=country,
            title=title,
            is_public=is_public,
        )
        page.current = Revision.objects.create(
            page=page, number=1, title=title, body=body, author=member(actor), note=note
        )
        page.save(update_fields=["current"])
        record(
            Event.KNOWLEDGE_PAGE_CREATED,
            actor=actor,
            obj=page,
            data={"topic": topic, "language": language, "public": is_public},
        )
    return page


def page_revise(
    *,
    actor,
    page: Page,
    title: str,
    body: str,
    category: str,
    country: str = "",
    is_public: bool,
    note: str = "",
    based_on: int | None = None,
    reviewed: bool = False,
) -> Revision | None:
    """Save a change: a new revision when the title or text changed, the page's category,
    country and visibility as given. ``based_on`` is the revision the editor started from:
    when someone saved another one meanwhile, nothing is written. ``reviewed`` also marks
    the page reviewed today. Returns the new revision, or None when only the page's details
    changed; refuses a save that changes nothing."""
    check(actor, Perm.KNOWLEDGE_EDIT)
    _check(category=category, country=country)
    with transaction.atomic():
        locked = Page.objects.select_for_update().get(pk=page.pk)
        current = locked.current
        if based_on is not None and current is not None and current.number != based_on:
            raise KnowledgeError(
                _(
                    "Someone saved a newer version while you were editing. Your text is kept "
                    "below: compare it with the history and save again."
                )
            )
        text_changed = current is None or (title, body) != (current.title, current.body)
        details = {"category": category, "country": country, "is_public": is_public}
        changed = [name for name, value in details.items() if getattr(locked, name) != value]
        if not text_changed and not changed and not reviewed:
            raise KnowledgeError(_("Nothing changed."))
        revision = None
        if text_changed:
            number = (locked.revisions.aggregate(last=Max("number"))["last"] or 0) + 1
            revision = Revision.objects.create(
                page=locked, number=number, title=title, body=body, author=member(actor), note=note
            )
            locked.current = revision
        for name, value in details.items():
            setattr(locked, name, value)
        locked.title = title
        locked.save(update_fields=["current", "title", *details])
        if text_changed or changed:
            record(
                Event.KNOWLEDGE_PAGE_REVISED,
                actor=actor,
                obj=locked,
                data={
                    "revision": locked.current.number,
                    "text_changed": text_changed,
                    "changed": changed,
                    "public": is_public,
                },
            )
        if reviewed:
            _mark_reviewed(actor=actor, page=locked, on=timezone.localdate())
    page.refresh_from_db()
    return revision


def page_mark_reviewed(*, actor, page: Page, on: date | None = None) -> Page:
    """Someone read the page through and found it still right (on ``on``, default today)."""
    check(actor, Perm.KNOWLEDGE_EDIT)
    with transaction.atomic():
        locked = Page.objects.select_for_update().get(pk=page.pk)
        _mark_reviewed(actor=actor, page=locked, on=on or timezone.localdate())
    page.refresh_from_db()
    return page


def _mark_reviewed(*, actor, page: Page, on: date) -> None:
    page.reviewed_on, page.reviewed_by = on, member(actor)
    page.save(update_fields=["reviewed_on", "reviewed_by"])
    record(
        Event.KNOWLEDGE_PAGE_REVIEWED,
        actor=actor,
        obj=page,
        data={"revision": page.current.number if page.current_id else 0, "on": on.isoformat()},
    )


def export_record(*, actor, pages: list[Page], public_only: bool, form: str) -> None:
    """The audit row of an offline export (a folder or a ZIP): which pages left the server."""
    check(actor, Perm.KNOWLEDGE_VIEW)
    with transaction.atomic():
        record(
            Event.KNOWLEDGE_EXPORTED,
            actor=actor,
            data={
                "pages": len(pages),
                "public_only": public_only,
                "form": form,
                "private": sum(1 for page in pages if not page.is_public),
            },
        )
