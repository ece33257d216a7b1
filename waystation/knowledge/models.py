"""Safety guidance pages and country notes, written in Markdown, with their history.

A page exists once per language: the versions of one page share a ``topic`` (its address, e.g.
``if-detained``) and differ in ``language``. Every change of the text is a new ``Revision``;
revisions are never changed or deleted (the services only ever add one), so the history of a
page is complete. The text is guidance, not personal data: it is stored plain (inside the
encrypted database of the embedded mode) so that it can be searched.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

_USER = settings.AUTH_USER_MODEL
# The note of a shipped page's first version, as stored (see defaults.load_defaults): the same
# in every instance and shown in the reader's language.
SHIPPED_NOTE = "Shipped with Waystation"


class Category(models.TextChoices):
    PHONES = "phones", _("Phones and SIM cards")
    MESSENGERS = "messengers", _("Messengers")
    TRAVEL = "travel", _("Travel and border risks")
    AIRPORTS = "airports", _("Airports")
    DETENTION = "detention", _("What to do if detained")
    EXTRADITION = "extradition", _("Extradition practice (country notes)")
    LEGAL_AID = "legal_aid", _("Lawyers and legal aid")


class Language(models.TextChoices):
    """The languages a page is written in, each in its own name (as the language switch)."""

    EN = "en", "English"
    RU = "ru", "Русский"
    DE = "de", "Deutsch"
    UK = "uk", "Українська"


class Page(models.Model):
    topic = models.SlugField(
        _("address"),
        max_length=80,
        help_text=_(
            "Short, in Latin letters, e.g. if-detained. The versions of a page in other "
            "languages share it."
        ),
    )
    language = models.CharField(_("language"), max_length=5, choices=Language.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    country = CountryField(
        _("country"), blank=True, help_text=_("For a country note: the country it is about.")
    )
    title = models.CharField(_("title"), max_length=200)
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_(
            "Public pages can be read by anyone through the request portal, without signing in."
        ),
    )
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        _USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    current = models.ForeignKey(
        "Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "language"], name="knowledge_page_unique"),
        ]
        ordering = ["category", "title"]

    def __str__(self):
        return f"{self.title} ({self.language})"


class Revision(models.Model):
    """One version of a page's text; the newest is the page's ``current``."""

    page = models.ForeignKey(Page, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    author = models.ForeignKey(
        _USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    note = models.CharField(_("what changed"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="knowledge_revision_unique"),
        ]
        ordering = ["page", "-number"]

    def __str__(self):
        return f"{self.page_id}#{self.number}"

    @property
    def shipped(self) -> bool:
        """The version that came with Waystation, as written by no member."""
        return self.author_id is None and self.note == SHIPPED_NOTE

    @property
    def note_shown(self) -> str:
        return _("Shipped with Waystation") if self.note == SHIPPED_NOTE else self.note
