"""The offline copy of the safety pages: a folder of static HTML that opens from a USB stick
or a phone's file manager, without a server and without a network.

    waystation-safety-2026-12-01/
      index.html          every page, by language and category
      style.css           the project's own stylesheet, copied
      en/if-detained.html one file per page per language
      ru/if-detained.html

Every link is relative, no page holds a script (its Content-Security-Policy forbids them
too), and images are left out (only their descriptions stay): nothing is ever loaded from
anywhere.
"""

import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation

from waystation.core.streaming import StreamedWrites

from .markdown import render_markdown
from .models import Category, Language, Page
from .selectors import CATEGORY_ORDER

STYLESHEETS = ("waystation/waystation.css", "knowledge/knowledge.css")


def folder_name() -> str:
    return f"waystation-safety-{timezone.localdate().isoformat()}"


def _stylesheet() -> bytes:
    parts = []
    for name in STYLESHEETS:
        found = finders.find(name)
        parts.append(Path(found).read_text(encoding="utf-8"))
    return "\n".join(parts).encode()


def page_path(page: Page) -> str:
    return f"{page.language}/{page.topic}.html"


def export_files(pages: list[Page]) -> Iterator[tuple[str, bytes]]:
    """(path in the folder, content) for each file of the offline copy of ``pages``."""
    pages = sorted(
        (page for page in pages if page.current_id),
        key=lambda page: (
            Language.values.index(page.language),
            CATEGORY_ORDER.get(page.category, 99),
            page.title,
        ),
    )
    by_key = {(page.topic, page.language): page for page in pages}
    made_on = timezone.localdate()
    yield "style.css", _stylesheet()
    yield "index.html", _index(pages, made_on)
    for page in pages:
        yield page_path(page), _page(page, by_key, made_on)


def _index(pages: list[Page], made_on) -> bytes:
    languages = []
    labels = dict(Category.choices)
    for code, name in Language.choices:
        in_language = [page for page in pages if page.language == code]
        if not in_language:
            continue
        with translation.override(code):
            groups: dict[str, list] = {}
            for page in in_language:
                groups.setdefault(str(labels[page.category]), []).append(
                    {"page": page, "href": page_path(page)}
                )
        languages.append({"code": code, "name": name, "groups": groups})
    html = render_to_string(
        "knowledge/offline_index.html", {"languages": languages, "made_on": made_on}
    )
    return html.encode()


def _page(page: Page, by_key: dict, made_on) -> bytes:
    def link_for_topic(topic: str) -> str | None:
        target = by_key.get((topic, page.language)) or by_key.get((topic, Language.EN))
        return f"../{page_path(target)}" if target else None

    others = [
        {"page": other, "href": f"../{page_path(other)}", "name": name}
        for code, name in Language.choices
        if code != page.language and (other := by_key.get((page.topic, code)))
    ]
    with translation.override(page.language):
        html = render_to_string(
            "knowledge/offline_page.html",
            {
                "page": page,
                "body": render_markdown(
                    page.current.body, link_for_topic=link_for_topic, images=False
                ),
                "others": others,
                "made_on": made_on,
            },
        )
    return html.encode()


def write_directory(pages: list[Page], target: Path) -> int:
    """Write the folder; returns how many files. ``target`` must not exist or be empty."""
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and is not empty")
    count = 0
    for name, content in export_files(pages):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        count += 1
    return count


def zip_chunks(pages: list[Page], root: str) -> Iterator[bytes]:
    """The folder as a ZIP, one file at a time as it is made."""
    sink = StreamedWrites()
    when = time.localtime()[:6]
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in export_files(pages):
            info = zipfile.ZipInfo(f"{root}/{name}", date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
            if data := sink.take():
                yield data
    if data := sink.take():
        yield data
