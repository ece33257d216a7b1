from django import forms
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import Category, Language

BODY_HELP = _(
    "Markdown: ## for a heading, - for a list, **bold**, [text](https://…) for a link, "
    "[text](page:if-detained) for another page here. HTML is shown as text; pictures from "
    "other sites are left out. Never write routes or crossing points."
)


class _PageFields(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        help_text=_("For a country note: the country it is about."),
    )
    is_public = forms.BooleanField(
        label=_("Public: anyone can read it through the request portal, without signing in"),
        required=False,
    )
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 24, "class": "markdown"}),
        help_text=BODY_HELP,
        strip=False,
    )
    note = forms.CharField(
        label=_("What changed"),
        max_length=200,
        required=False,
        help_text=_("One line for the history, e.g. “new number of the legal aid line”."),
    )

    def __init__(self, *args, language: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *countries]
        if language:  # the page's language, not the reader's: spelling checked in it, read in it
            for name in ("title", "body"):
                self.fields[name].widget.attrs["lang"] = language

    def clean(self):
        data = super().clean()
        if data.get("category") == Category.EXTRADITION and not data.get("country"):
            self.add_error("country", _("A country note needs its country."))
        return data


class PageNewForm(_PageFields):
    topic = forms.SlugField(
        label=_("Address"),
        max_length=80,
        help_text=_(
            "Short, in Latin letters, e.g. if-detained. The versions of a page in other "
            "languages share it."
        ),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    field_order = ["topic", "language", "title", "category", "country", "is_public", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Named in the reader's language here: a choice among languages, not a switch to one.
        self.fields["language"].choices = [
            (code, get_language_info(code)["name_translated"]) for code in Language.values
        ]


class PageEditForm(_PageFields):
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reviewed = forms.BooleanField(
        label=_("I have checked the whole page: mark it as reviewed today"), required=False
    )


class ExportForm(forms.Form):
    public_only = forms.BooleanField(
        label=_("Only the public pages (to hand to people who ask for help)"), required=False
    )
