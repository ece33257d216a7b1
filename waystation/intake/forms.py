from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from . import codenames
from .models import HelpKind, ReleaseUse, Urgency

NEVER_WRITE = _(
    "Never write a route, a crossing point, or the names of people who helped you. "
    "Write what you need, not how you travel."
)


class LanguageChoice(forms.RadioSelect):
    """Languages each named in itself (as a language switch), marked as such for screen
    readers and spelling."""

    option_template_name = "intake/widgets/language_option.html"


class RequestForm(forms.Form):
    urgency = forms.ChoiceField(
        label=_("Your situation now"), choices=Urgency.choices, widget=forms.RadioSelect
    )
    country = forms.ChoiceField(label=_("Country you are in"), required=False)
    city = forms.CharField(
        label=_("City"),
        required=False,
        max_length=120,
        help_text=_("The city only — never a street, an address or a place you hide."),
    )
    languages = forms.CharField(label=_("Languages you speak"), required=False, max_length=200)
    help_needed = forms.MultipleChoiceField(
        label=_("What help do you need?"),
        required=False,
        choices=HelpKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    people_with = forms.IntegerField(
        label=_("How many people are with you?"),
        required=False,
        min_value=0,
        max_value=20,
        initial=0,
        help_text=_("Family or others travelling with you. 0 if you are alone."),
    )
    text = forms.CharField(
        label=_("Your message"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=NEVER_WRITE,
    )
    codename_language = forms.ChoiceField(
        label=_("Language of your codename"),
        choices=codenames.LANGUAGES,
        required=False,  # not chosen: the page's language, or English
        widget=LanguageChoice,
        help_text=_(
            "After sending you get seven words to come back with. Choose the language whose "
            "letters you can type on the device you will use."
        ),
    )

    # Asked next to the files (the template puts the file field right after them).
    consent_scope = forms.MultipleChoiceField(
        label=_("If you send files: may we pass them on to"),
        required=False,
        choices=ReleaseUse.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Tick only what you agree to; you can leave all of it empty. Nothing ticked: your "
            "files stay with the group and are used only to help you."
        ),
    )
    keep_originals = forms.BooleanField(
        label=_("Keep my files untouched, as evidence"),
        required=False,
        help_text=_(
            "Photos hold the place and time they were taken: we remove this from the copy the "
            "group sees. Videos, audio and PDF files are kept as you send them — we cannot "
            "remove what is inside them. Tick this only if you agree that the untouched "
            "original is kept as evidence."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *countries]
        self.fields["codename_language"].initial = codenames.language_for(get_language())

    def clean_codename_language(self):
        return codenames.language_for(
            self.cleaned_data["codename_language"] or get_language()
        )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your answer"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=NEVER_WRITE,
    )
    consent_scope = RequestForm.base_fields["consent_scope"]
    keep_originals = RequestForm.base_fields["keep_originals"]


class CodenameForm(forms.Form):
    codename = forms.CharField(
        label=_("Your codename"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The seven words you received, in any case, separated by spaces."),
    )


class StaffReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Message to the requester"), widget=forms.Textarea(attrs={"rows": 5})
    )
    kind = forms.ChoiceField(
        label=_("This is"),
        choices=[
            ("reply", _("A reply")),
            ("question", _("A question")),
            ("decline", _("A kind refusal (closes the request)")),
        ],
        initial="reply",
    )


class ConvertForm(forms.Form):
    codename = forms.CharField(
        label=_("Codename for the case"),
        required=False,
        max_length=40,
        help_text=_("Leave empty for a new one."),
    )


class EvidenceForm(forms.Form):
    """Take a requester's file into a case's evidence vault (triage page, one per file)."""

    case = forms.CharField(
        label=_("Into the case"),
        required=False,
        max_length=60,
        help_text=_("A codename; leave empty for the case this request became."),
    )
    courts = forms.CharField(
        label=_("Courts or investigative bodies it may go to"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line, e.g. ICC OTP. The sender agreed to courts in general; only those "
            "named here can receive it."
        ),
    )

    def __init__(self, *args, consent=(), **kwargs):
        super().__init__(*args, **kwargs)
        if ReleaseUse.COURT not in (consent or ()):
            del self.fields["courts"]

    def clean(self):
        data = super().clean()
        data.setdefault("courts", "")
        return data
