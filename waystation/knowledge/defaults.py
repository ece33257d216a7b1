"""The first set of safety pages, shipped with Waystation as Markdown files:
``defaults/<language>/<topic>.md``, each opening with a small front matter::

    ---
    title: What to do if you are detained
    category: detention
    public: true
    country: KZ        # country notes only
    ---

Loading them is idempotent: a page that exists (same topic and language) is left as it is,
whatever the group has made of it since. They are loaded unreviewed: each group checks them
against its own situation and marks them reviewed.
"""

from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction

from .models import SHIPPED_NOTE, Category, Language, Page
from .services import KnowledgeError, page_create

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"


@dataclass
class DefaultPage:
    topic: str
    language: str
    title: str
    category: str
    is_public: bool
    country: str
    body: str


class DefaultsError(KnowledgeError):
    """A shipped default page that cannot be read; the message names the file."""


def read_default(path: Path) -> DefaultPage:
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.removeprefix("---\n").partition("\n---\n")
    if not text.startswith("---\n") or not sep:
        raise DefaultsError(f"{path}: no front matter between --- lines")
    meta = yaml.safe_load(head) or {}
    unknown = set(meta) - {"title", "category", "public", "country"}
    if unknown or not meta.get("title") or meta.get("category") not in Category.values:
        raise DefaultsError(f"{path}: front matter needs title and a known category only")
    if path.parent.name not in Language.values:
        raise DefaultsError(f"{path}: {path.parent.name} is not a page language")
    return DefaultPage(
        topic=path.stem,
        language=path.parent.name,
        title=str(meta["title"]),
        category=meta["category"],
        is_public=bool(meta.get("public", False)),
        country=str(meta.get("country") or ""),
        body=body.strip() + "\n",
    )


def default_pages() -> list[DefaultPage]:
    return [read_default(path) for path in sorted(DEFAULTS_DIR.glob("*/*.md"))]


def load_defaults(*, actor) -> tuple[int, int]:
    """Create the shipped pages that are missing; returns (created, already there)."""
    created = kept = 0
    with transaction.atomic():
        existing = set(Page.objects.values_list("topic", "language"))
        for page in default_pages():
            if (page.topic, page.language) in existing:
                kept += 1
                continue
            page_create(
                actor=actor,
                topic=page.topic,
                language=page.language,
                category=page.category,
                title=page.title,
                body=page.body,
                country=page.country,
                is_public=page.is_public,
                note=SHIPPED_NOTE,
            )
            created += 1
    return created, kept
