"""The dossier as a PDF, made with fpdf2 and the DejaVu fonts shipped in ``core/fonts`` (no
system font, so Cyrillic renders the same on every machine and the text can be copied out).
Call ``render`` inside ``translation.override`` of the dossier's language."""

from pathlib import Path

from django.template.defaultfilters import filesizeformat
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from fpdf import FPDF

from waystation.cases.models import Status
from waystation.evidence.models import Item, ItemKind, Testimony
from waystation.evidence.selectors import testimony_addenda

from .contents import Contents, clean_text, criteria, pathway_text

FONTS = Path(__file__).resolve().parents[2] / "core" / "fonts"
FONT = "DejaVu"
LINE = 5.5
LABEL_WIDTH = 50


def _label(model, name: str) -> str:
    return capfirst(str(model._meta.get_field(name).verbose_name))


class _Document(FPDF):
    def __init__(self, footer: str, page: str):
        super().__init__(format="A4")
        self._footer, self._page = footer, page
        self.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_auto_page_break(True, margin=20)
        self.set_margins(18, 18, 18)

    def footer(self):
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.set_text_color(90)
        text = f"{self._footer} · {self._page % {'page': self.page_no(), 'pages': '{nb}'}}"
        self.cell(0, 5, text, align="C")
        self.set_text_color(0)

    def heading(self, text: str, size: int = 14):
        self.ln(3)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, clean_text(text), new_x="LMARGIN", new_y="NEXT", align="L")
        self.ln(1.5)
        self.set_font(FONT, "", 10)

    def paragraph(self, text: str, size: int = 10):
        self.set_font(FONT, "", size)
        self.multi_cell(0, LINE, clean_text(text), new_x="LMARGIN", new_y="NEXT", align="L")

    def pair(self, label: str, value: str, *, width: float = LABEL_WIDTH, size: int = 10):
        """A label and its value side by side, each wrapping in its own column; the label is
        never split over two pages."""
        self.set_font(FONT, "B", 10)
        lines = self.multi_cell(width - 2, LINE, clean_text(label), dry_run=True, output="LINES")
        if self.will_page_break(LINE * max(1, len(lines))):
            self.add_page()
        top = self.get_y()
        self.set_font(FONT, "B", 10)
        self.multi_cell(
            width - 2, LINE, clean_text(label), new_x="LMARGIN", new_y="NEXT", align="L"
        )
        below_label, page = self.get_y(), self.page
        self.set_xy(self.l_margin + width, top)
        self.set_font(FONT, "", size)
        self.multi_cell(0, LINE, clean_text(value) or "—", new_x="LMARGIN", new_y="NEXT", align="L")
        if self.page == page:
            self.set_y(max(below_label, self.get_y()))


def render(contents: Contents) -> bytes:
    pdf = _Document(
        footer=_("Prepared with Waystation — check against originals"),
        page=_("Page %(page)s of %(pages)s"),
    )
    case = contents.case
    pdf.set_title(f"{_('Dossier')} {case.codename}")
    pdf.set_creator("Waystation")
    pdf.set_lang(contents.language)
    pdf.add_page()
    _cover(pdf, contents)
    _criteria(pdf, contents)
    _chronology(pdf, contents)
    _evidence(pdf, contents.items)
    if contents.testimonies:
        _testimonies(pdf, contents.testimonies)
    return bytes(pdf.output())


def _cover(pdf: _Document, contents: Contents):
    case = contents.case
    pdf.heading(_("Dossier for an application"), size=18)
    pdf.pair(_("Codename"), case.codename)
    status = dict(Status.choices).get(case.status, case.status)
    pdf.pair(_("Status"), f"{status} ({case.status_since.isoformat()})")
    if contents.pathway is not None:
        pdf.pair(_("Pathway applied for"), pathway_text(contents.pathway, contents.language))
    pdf.pair(_("Prepared by"), contents.prepared_by)
    pdf.pair(_("Date"), contents.prepared_on.isoformat())
    if contents.identity is not None:
        pdf.heading(_("Identity"))
        if contents.identity:
            for label, value in contents.identity.items():
                pdf.pair(label, value)
        else:
            pdf.paragraph(_("Nothing is recorded in the identity vault."))
    if contents.documents:
        pdf.heading(_("Documents"))
        for line in contents.documents:
            pdf.paragraph(line)


def _criteria(pdf: _Document, contents: Contents):
    lines = criteria(contents)
    if not lines:
        return
    pdf.heading(_("Criteria of the pathway"))
    pdf.paragraph(
        _(
            "Each criterion as Waystation counts it from what this dossier holds: the documents "
            "and risk events of the case, and the evidence and testimonies chosen for it. A "
            "reminder of what is held and missing, not an assessment."
        ),
        size=9,
    )
    untranslated = _("This text is not yet translated; shown in English")
    for line in lines:
        if pdf.will_page_break(LINE * 5):
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font(FONT, "B", 10)
        text = f"{line.number}. {line.text.text}"
        if line.text.fallback:
            text += f" ({untranslated})"
        pdf.multi_cell(0, LINE, clean_text(text), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.pair(_("State"), line.state)
        pdf.pair(_("What this dossier holds"), "\n".join(line.held))
        if line.missing:
            pdf.pair(_("What would meet it"), "\n".join(line.missing))
        if line.by_hand:
            pdf.pair(_("Not recorded in Waystation, check by hand:"), "\n".join(line.by_hand))


def _chronology(pdf: _Document, contents: Contents):
    pdf.heading(_("Chronology"))
    if not contents.chronology:
        pdf.paragraph(_("Nothing dated is recorded."))
    for entry in contents.chronology:
        pdf.pair(entry.on.isoformat(), entry.text, width=28)


def _evidence(pdf: _Document, items: list[tuple[str, Item]]):
    pdf.heading(_("Evidence"))
    if not items:
        pdf.paragraph(_("No evidence item was chosen for this dossier."))
    kinds = dict(ItemKind.choices)
    for label, item in items:
        if pdf.will_page_break(LINE * 6):
            pdf.add_page()
        pdf.set_font(FONT, "B", 10)
        pdf.multi_cell(
            0, LINE, f"{label} · {clean_text(item.original_name)}", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.pair(_label(Item, "sha256"), item.sha256, size=8)
        pdf.pair(_label(Item, "size"), f"{filesizeformat(item.size)} ({item.size})")
        pdf.pair(_label(Item, "kind"), f"{kinds.get(item.kind, item.kind)}, {item.media_type}")
        pdf.pair(_label(Item, "acquired_on"), item.acquired_on.isoformat())
        pdf.ln(2)


def _testimonies(pdf: _Document, testimonies: list[tuple[str, Testimony]]):
    pdf.heading(_("Testimonies"))
    for label, testimony in testimonies:
        pdf.set_font(FONT, "B", 10)
        pdf.multi_cell(0, LINE, label, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.pair(_label(Testimony, "interviewed_on"), testimony.interviewed_on.isoformat())
        pdf.pair(_label(Testimony, "language"), testimony.language)
        pdf.ln(1)
        pdf.paragraph(testimony.statement)
        # A statement is never overwritten: its corrections travel with it, numbered.
        for addendum in testimony_addenda(testimony):
            pdf.ln(1)
            pdf.set_font(FONT, "B", 9)
            heading = _("Correction %(number)s, %(day)s") % {
                "number": addendum.number,
                "day": addendum.added_at.date().isoformat(),
            }
            pdf.multi_cell(0, LINE, heading, new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.paragraph(addendum.text)
            pdf.pair(_("Why"), addendum.reason)
        pdf.ln(3)
