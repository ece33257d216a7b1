"""Reads for safety pages. Members' reads take the viewer and go through the policy; the
anonymous portal has its own two reads, which return public pages only."""

import difflib
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.http import Http404
from django.utils import timezone

from waystation.accounts.policy import Perm, visible

from .markdown import plain_text
from .models import Category, Language, Page, Revision

CATEGORY_ORDER = {value: position for position, value in enumerate(Category.values)}
SNIPPET = 160  # characters of text shown around a search hit


def _pages(viewer, perm: Perm = Perm.KNOWLEDGE_VIEW):
    return visible(viewer, Page.objects.all(), perm).select_related("current", "reviewed_by")


def pages_for(viewer, *, language: str = "", category: str = ""):
    rows = _pages(viewer).exclude(current=None)
    if language:
        rows = rows.filter(language=language)
    if category:
        rows = rows.filter(category=category)
    return sorted(rows, key=lambda page: (CATEGORY_ORDER.get(page.category, 99), page.title))


def page_for(viewer, topic: str, language: str, perm: Perm = Perm.KNOWLEDGE_VIEW) -> Page:
    """One page, or 404 — the same for a missing page and one the viewer may not see."""
    try:
        return _pages(viewer, perm).get(topic=topic, language=language)
    except Page.DoesNotExist:
        raise Http404 from None


def addresses(viewer) -> set[tuple[str, str]]:
    """(topic, language) of every page the viewer may open: to resolve links between pages."""
    return set(_pages(viewer).exclude(current=None).values_list("topic", "language"))


def versions_of(viewer, page: Page) -> list[Page]:
    """The page's other language versions the viewer may see."""
    rows = _pages(viewer).filter(topic=page.topic).exclude(pk=page.pk)
    return sorted(rows, key=lambda other: Language.values.index(other.language))


def revisions_of(viewer, page: Page):
    rows = visible(viewer, Revision.objects.all(), Perm.KNOWLEDGE_VIEW)
    return rows.filter(page=page).select_related("author").order_by("-number")


def revision_of(viewer, page: Page, number: int) -> Revision:
    try:
        return revisions_of(viewer, page).get(number=number)
    except Revision.DoesNotExist:
        raise Http404 from None


@dataclass
class Hit:
    page: Page
    snippet: str  # the words around the first match in the text; empty for a title match


def search(viewer, query: str, *, language: str = "") -> list[Hit]:
    """Pages whose current title or text contains ``query``, ignoring case in any script.

    Matched here, not by the database: SQLite's LIKE ignores case only for ASCII letters, so
    "задержание" would not find "Задержание". A few hundred pages of text are read in well
    under a second; past a few thousand, use the database's full-text search instead."""
    needle = query.strip().casefold()
    if not needle:
        return []
    hits = []
    for page in pages_for(viewer, language=language):
        title, body = page.current.title, page.current.body
        if needle in title.casefold():
            hits.append(Hit(page, ""))
        elif needle in body.casefold():
            hits.append(Hit(page, _snippet(plain_text(body), needle)))
    return hits


def _snippet(text: str, needle: str) -> str:
    """About ``SNIPPET`` characters of ``text`` around the first ``needle``, cut at words."""
    at = max(text.casefold().find(needle), 0)
    start = max(0, at - SNIPPET // 2)
    if start:
        start = text.find(" ", start) + 1 or start
    end = text.rfind(" ", 0, start + SNIPPET) if start + SNIPPET < len(text) else len(text)
    end = end if end > at else start + SNIPPET
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def review_due_before(today: date | None = None) -> date:
    """A page last reviewed before this date is overdue for review."""
    today = today or timezone.localdate()
    return today - timedelta(days=settings.KNOWLEDGE_REVIEW_MAX_DAYS)


def review_overdue(page: Page, today: date | None = None) -> bool:
    return page.reviewed_on is None or page.reviewed_on < review_due_before(today)


@dataclass
class DiffLine:
    kind: str  # "add", "remove", "same" or "gap" (lines left out between changes)
    text: str


def line_diff(old: Revision, new: Revision, context: int = 3) -> list[DiffLine]:
    """What changed from ``old`` to ``new``, line by line, with ``context`` unchanged lines
    around each change. Plain strings: the template escapes them."""
    before = [f"# {old.title}", "", *old.body.splitlines()]
    after = [f"# {new.title}", "", *new.body.splitlines()]
    lines: list[DiffLine] = []
    for group in difflib.SequenceMatcher(None, before, after).get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("gap", "…"))
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                lines.extend(DiffLine("same", text) for text in before[i1:i2])
                continue
            lines.extend(DiffLine("remove", text) for text in before[i1:i2])
            lines.extend(DiffLine("add", text) for text in after[j1:j2])
    return lines


# -- the anonymous portal: public pages only, no policy (there is no viewer) -------------------


def _portal_rank(page: Page, language: str) -> int:
    """The visitor's language first, then English, then any other."""
    if page.language == language:
        return 0
    return 1 if page.language == Language.EN else 2 + Language.values.index(page.language)


def portal_pages(language: str) -> list[Page]:
    """One public page per topic, in the visitor's language where there is one."""
    best: dict[str, Page] = {}
    for page in Page.objects.filter(is_public=True).exclude(current=None).select_related("current"):
        held = best.get(page.topic)
        if held is None or _portal_rank(page, language) < _portal_rank(held, language):
            best[page.topic] = page
    return sorted(
        best.values(), key=lambda page: (CATEGORY_ORDER.get(page.category, 99), page.title)
    )


def portal_page(topic: str, language: str) -> Page:
    """A public page for the portal, or 404 — a private page answers exactly as a missing one."""
    found = [
        page
        for page in Page.objects.filter(topic=topic, is_public=True)
        .exclude(current=None)
        .select_related("current")
    ]
    if not found:
        raise Http404
    return min(found, key=lambda page: _portal_rank(page, language))


def portal_topics() -> set[str]:
    """The topics the portal may link to from a page."""
    return set(
        Page.objects.filter(is_public=True).exclude(current=None).values_list("topic", flat=True)
    )
