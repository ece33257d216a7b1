"""The renderer neutralises whatever a page's author (or someone who took over an account)
types: scripts, event handlers, script URLs, remote and data images, raw HTML."""

from html.parser import HTMLParser

import pytest

from waystation.knowledge.markdown import is_local_path, plain_text, render_markdown


def html(text: str, **options) -> str:
    return str(render_markdown(text, **options))


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(out: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(out)
    return parser.found


def assert_inert(out: str) -> None:
    """No element that runs or loads anything: what a browser would build from ``out``."""
    for tag, attrs in elements(out):
        assert tag not in {"script", "iframe", "style", "svg", "object", "embed", "form"}, out
        assert not any(name.startswith("on") for name in attrs), out
        assert "style" not in attrs, out
        for name in ("href", "src"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:", "file:")), out
        if tag == "img":
            assert is_local_path(attrs.get("src", "")), out


def test_ordinary_markdown_renders():
    out = html(
        "# Title\n\n## Steps\n\n### More\n\n- one\n- **two**\n\n1. first\n\n> careful\n\n`code`"
    )
    assert "<h2>Title</h2>" in out  # the page title is the only h1
    assert "<h2>Steps</h2>" in out and "<h3>More</h3>" in out
    assert "<li><strong>two</strong></li>" in out
    assert "<blockquote>" in out and "<code>code</code>" in out


def test_script_tags_are_shown_as_text():
    out = html("<script>alert(1)</script>\n\nafter")
    assert_inert(out)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


@pytest.mark.parametrize(
    "text",
    [
        "<img src=x onerror=alert(1)>",
        '<a href="#" onclick="alert(1)">x</a>',
        "<svg onload=alert(1)>",
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        '<div style="background:url(https://evil.example/t.png)">x</div>',
        "<!-- <script>alert(1)</script> -->",
        "<details open ontoggle=alert(1)>",
    ],
)
def test_raw_html_never_becomes_markup(text):
    out = html(text)
    assert_inert(out)
    assert [tag for tag, _ in elements(out)] in ([], ["p"]), out  # text, not elements


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](jav&#x61;script:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[r]: javascript:alert(1)\n\n[x][r]",
        "<javascript:alert(1)>",
        "[x](file:///etc/passwd)",
    ],
)
def test_script_and_data_links_are_not_links(text):
    out = html(text)
    assert "href" not in out, out
    assert_inert(out)


def test_title_attribute_cannot_break_out():
    out = html('[x](https://example.org "t\\" onclick=\\"alert(1)")')
    assert 'href="https://example.org"' in out
    assert ' onclick="' not in out and "&quot;" in out


def test_links_carry_rel_noopener_noreferrer_nofollow():
    out = html("[UNHCR](https://www.unhcr.org/) and <https://example.org>")
    assert out.count('rel="noopener noreferrer nofollow"') == 2
    assert "target=" not in out


@pytest.mark.parametrize(
    "src",
    [
        "https://evil.example/pixel.png",
        "http://evil.example/pixel.png",
        "HTTPS://EVIL.EXAMPLE/x.png",
        "//evil.example/pixel.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "javascript:alert(1)",
        "/%5Cevil.example/x.png",
        "ftp://evil.example/x.png",
    ],
)
def test_remote_and_data_images_are_removed(src):
    out = html(f"![map of the border]({src})")
    assert "<img" not in out, out
    assert_inert(out)
    if "<" not in src:  # markdown reads a destination with "<" as text, not as an image
        assert "evil" not in out and "data:" not in out
        assert "[map of the border]" in out  # the description stays, as text


def test_remote_image_inside_a_link_is_removed_too():
    out = html("[![x](https://evil.example/t.png)](https://example.org)")
    assert "<img" not in out and 'href="https://example.org"' in out


def test_local_images_stay():
    out = html("![our logo](/static/waystation/icon.svg) ![plan](pictures/plan.png)")
    assert '<img src="/static/waystation/icon.svg" alt="our logo">' in out
    assert 'src="pictures/plan.png"' in out


def test_images_can_be_left_out_entirely():
    out = html("![our logo](/static/waystation/icon.svg)", images=False)
    assert "<img" not in out and "[our logo]" in out


@pytest.mark.parametrize(
    ("src", "local"),
    [
        ("/static/x.png", True),
        ("x.png", True),
        ("../x.png", True),
        ("//host/x.png", False),
        ("/\\host/x.png", False),
        ("https://host/x.png", False),
        ("data:,x", False),
        ("java\nscript:x", False),
        (" /x.png", False),
        ("", False),
    ],
)
def test_is_local_path(src, local):
    assert is_local_path(src) is local


def test_page_links_resolve_through_the_caller_or_stay_text():
    known = {"if-detained": "/knowledge/if-detained/en/"}
    out = html(
        "[detained](page:if-detained), [secret](page:extradition-kazakhstan)",
        link_for_topic=known.get,
    )
    assert (
        '<a href="/knowledge/if-detained/en/" rel="noopener noreferrer nofollow">detained</a>'
        in out
    )
    assert "secret" in out and "extradition-kazakhstan" not in out
    assert html("[x](page:if-detained)") == "<p>x</p>\n"


def test_table_alignment_becomes_classes_not_styles():
    out = html("| a | b |\n|:-|-:|\n| 1 | 2 |")
    assert '<th class="align-left">a</th>' in out and '<td class="align-right">2</td>' in out
    assert "style" not in out


def test_unicode_text_survives():
    out = html("## Что делать\n\nСкажите: «Мне нужен адвокат».")
    assert "<h2>Что делать</h2>" in out and "«Мне нужен адвокат»" in out


def test_plain_text_drops_the_markup():
    text = "## Steps\n\n- **Ask** for [a lawyer](https://example.org)\n\n<b>raw</b>"
    assert plain_text(text) == "Steps Ask for a lawyer <b>raw</b>"
