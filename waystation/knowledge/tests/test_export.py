"""The offline copy: a folder of static HTML that opens from file:// with no server, no
script and relative links only; the ZIP download; the command line; the shipped pages."""

import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.knowledge import export
from waystation.knowledge.defaults import default_pages, load_defaults
from waystation.knowledge.models import Page

from .factories import EDITOR, make_page

pytestmark = pytest.mark.django_db


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.refs += [value for name, value in attrs if name in {"href", "src"} and value]


def _refs(html: str) -> _Refs:
    parser = _Refs()
    parser.feed(html)
    return parser


def _assert_offline(folder: Path) -> None:
    """Every file: no script, and every link relative and to a file that is there."""
    for path in folder.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        found = _refs(html)
        assert "script" not in found.tags, path
        assert "<script" not in html.lower(), path
        for ref in found.refs:
            if ref.startswith(("https://", "http://", "mailto:")) and path.name != "index.html":
                continue  # links written in a page's text: the reader follows them or not
            assert not ref.startswith(("/", "//")) and ":" not in ref.split("/")[0], (path, ref)
            target = ref.split("#")[0]
            if target:
                assert (path.parent / target).resolve().is_file(), (path, ref)


def test_export_writes_index_with_relative_links_and_no_script(tmp_path):
    make_page(
        is_public=True,
        body="See [phones](page:phones-and-sim-cards).\n\n<script>alert(1)</script>\n\n"
        "![x](/static/waystation/icon.svg)",
    )
    make_page(topic="phones-and-sim-cards", title="Phones and SIM cards", category="phones")
    make_page(language="ru", title="Что делать, если вас задержали", body="Текст")
    folder = tmp_path / "offline"
    pages = list(Page.objects.select_related("current"))
    assert export.write_directory(pages, folder) == 5
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert 'href="en/if-detained.html"' in index and 'href="ru/if-detained.html"' in index
    assert 'href="style.css"' in index and "Content-Security-Policy" in index
    page = (folder / "en" / "if-detained.html").read_text(encoding="utf-8")
    assert 'href="../en/phones-and-sim-cards.html"' in page
    assert 'href="../ru/if-detained.html"' in page and 'href="../index.html"' in page
    assert "&lt;script&gt;" in page and "<img" not in page
    assert (folder / "style.css").read_bytes().startswith(b"/*")
    _assert_offline(folder)


def test_export_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "x").write_text("keep me")
    with pytest.raises(FileExistsError):
        export.write_directory([], tmp_path)
    assert (tmp_path / "x").read_text() == "keep me"


def test_download_is_a_zip_of_the_folder_and_audited(client_for, cast):
    make_page(is_public=True)
    make_page(topic="lawyers-and-legal-aid", title="Lawyers", category="legal_aid")
    client = client_for("treasurer")
    assert client.get(reverse("knowledge:export")).status_code == 200
    answer = client.post(reverse("knowledge:export"))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))
    names = archive.namelist()
    root = names[0].split("/")[0]
    assert root.startswith("waystation-safety-")
    assert {
        f"{root}/index.html",
        f"{root}/style.css",
        f"{root}/en/if-detained.html",
        f"{root}/en/lawyers-and-legal-aid.html",
    } == set(names)
    row = AuditEvent.objects.get(event=Event.KNOWLEDGE_EXPORTED)
    assert row.actor_id == cast["treasurer"].pk and row.data["pages"] == 2
    assert row.data["private"] == 1

    public = client.post(reverse("knowledge:export"), {"public_only": "on"})
    names = zipfile.ZipFile(io.BytesIO(b"".join(public.streaming_content))).namelist()
    assert not any("lawyers" in name for name in names)


def test_command_line_loads_the_defaults_once_and_exports(tmp_path, capsys):
    call_command("knowledge", "load-defaults")
    shipped = default_pages()
    assert Page.objects.count() == len(shipped) >= 14
    assert load_defaults(actor=EDITOR) == (0, len(shipped))  # idempotent
    assert Page.objects.count() == len(shipped)
    folder = tmp_path / "guide"
    call_command("knowledge", "export-html", str(folder), "--public-only", "--language", "ru")
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.html"))
    assert "index.html" in files and "ru/if-detained.html" in files
    assert not any(name.startswith("en/") or "extradition" in name for name in files)
    _assert_offline(folder)
    assert "wrote" in capsys.readouterr().out
    assert AuditEvent.objects.filter(event=Event.KNOWLEDGE_EXPORTED, actor_id=None).exists()


def test_the_shipped_pages():
    pages = {(page.topic, page.language): page for page in default_pages()}
    topics = {
        "if-detained": True,
        "phones-and-sim-cards": True,
        "messengers": True,
        "airports-and-border-checks": True,
        "extradition-kazakhstan": False,
        "extradition-armenia": False,
        "lawyers-and-legal-aid": False,
    }
    for topic, public in topics.items():
        for language in ("en", "ru"):
            page = pages[(topic, language)]
            assert page.is_public is public, (topic, language)
            assert page.body.strip()
    assert pages[("extradition-kazakhstan", "en")].country == "KZ"
    assert pages[("extradition-armenia", "ru")].country == "AM"
    assert re.search("[а-я]", pages[("if-detained", "ru")].body)
    for page in pages.values():
        for target in re.findall(r"\(page:([a-z0-9-]+)\)", page.body):
            assert (target, page.language) in pages, (page.topic, target)
        if page.category == "extradition":
            assert "lawyer" in page.body or "адвокат" in page.body


def test_demo_loads_the_shipped_pages(db):
    from waystation.demo import demo_populate

    demo_populate(cases=0)
    assert Page.objects.filter(language="ru", is_public=True).count() == 4
    assert demo_populate(cases=0) is False  # a second run writes no members, no pages twice
    assert Page.objects.count() == len(default_pages())
