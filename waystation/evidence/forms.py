from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waystation.cases.forms import DateInput
from waystation.cases.models import Case

from .models import (
    AcquiredHow,
    ActType,
    DateCertainty,
    Event,
    ItemKind,
    ItemOrigin,
    Recipient,
    Verification,
    WitnessRole,
)

NEVER_WRITE = _(
    "Never write escape routes, crossing points or the names of people who helped on the way."
)


class CaseField(forms.CharField):
    """A case by codename, among the cases the person may work with (given by the view)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Case (codename)"))
        kwargs.setdefault("max_length", 40)
        super().__init__(*args, **kwargs)
        self.cases = Case.objects.none()

    def clean(self, value):
        codename = super().clean(value).strip()
        found = self.cases.filter(codename__iexact=codename).first()
        if found is None:
            raise forms.ValidationError(_("No case with this codename."))
        return found


class _WithCase(forms.Form):
    def __init__(self, *args, cases=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].cases = cases if cases is not None else Case.objects.none()


class SourceFields(forms.Form):
    """Where an item came from and on what terms: this decides where it may go."""

    origin = forms.ChoiceField(
        label=_("Came from"),
        choices=ItemOrigin.choices,
        initial=ItemOrigin.NOT_RECORDED,
        required=False,  # left out: not recorded
        help_text=_(
            "This decides where it may go. From the person of the case: his consent for his "
            "items. From another witness: the consent of that witness's testimony. Not "
            "recorded: it goes nowhere."
        ),
    )
    origin_testimony = forms.ChoiceField(
        label=_("Testimony of the witness who gave it"),
        required=False,
        help_text=_("For an item from another witness."),
    )
    origin_organisation = forms.CharField(
        label=_("Organisation or partner"),
        required=False,
        max_length=200,
        help_text=_("For an item from an organisation or partner."),
    )
    terms_scope = forms.MultipleChoiceField(
        label=_("Its terms allow it to go to"),
        required=False,
        choices=Recipient.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For an item from an organisation or partner, as its terms say."),
    )
    terms_courts = forms.CharField(
        label=_("Courts or investigative bodies its terms name"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line."),
    )

    def __init__(self, *args, testimonies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["origin_testimony"].choices = [("", "—")] + [
            (
                str(t.pk),
                f"{t.case.codename} · {t.interviewed_on.isoformat()} · {t.language}",
            )
            for t in testimonies
        ]

    def clean(self):
        data = super().clean()
        origin = data["origin"] = data.get("origin") or ItemOrigin.NOT_RECORDED
        if origin == ItemOrigin.WITNESS and not data.get("origin_testimony"):
            self.add_error("origin_testimony", _("Choose the witness's testimony."))
        if origin == ItemOrigin.ORGANISATION:
            if not data.get("origin_organisation", "").strip():
                self.add_error("origin_organisation", _("Name the organisation or partner."))
            if Recipient.COURT in data.get("terms_scope", []) and not data.get(
                "terms_courts", ""
            ).strip():
                self.add_error("terms_courts", _("Name the court or investigative body."))
        return data


class ItemUploadForm(_WithCase, SourceFields):
    case = CaseField()
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Decide from the content")), *ItemKind.choices],
    )
    acquired_on = forms.DateField(label=_("Acquired on"), widget=DateInput)
    acquired_how = forms.ChoiceField(label=_("Acquired how"), choices=AcquiredHow.choices)
    acquired_from = forms.CharField(
        label=_("Acquired from"),
        required=False,
        max_length=200,
        help_text=_("Who handed it over: a codename or a role, not a name."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NEVER_WRITE,
    )


class ItemOriginForm(SourceFields):
    pass


class PersonConsentForm(forms.Form):
    scope = forms.MultipleChoiceField(
        label=_("The person agrees that the items that came from him may go to"),
        required=False,
        choices=Recipient.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked while he has not agreed: then his items go nowhere."),
    )
    courts = forms.CharField(
        label=_("Courts or investigative bodies, by name"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line. Only these, by these names, may receive his items."),
    )
    withdrawn_on = forms.DateField(
        label=_("Consent withdrawn on"),
        required=False,
        widget=DateInput,
        help_text=_("From this day his items go to no one, whatever is ticked above."),
    )

    def clean_withdrawn_on(self):
        withdrawn_on = self.cleaned_data.get("withdrawn_on")
        if withdrawn_on and withdrawn_on > timezone.localdate():
            raise forms.ValidationError(_("The withdrawal date is in the future."))
        return withdrawn_on

    def clean(self):
        data = super().clean()
        if Recipient.COURT in data.get("scope", []) and not data.get("courts", "").strip():
            self.add_error("courts", _("Name the court or investigative body."))
        return data


class VerificationForm(forms.Form):
    status = forms.ChoiceField(label=_("Verification"), choices=Verification.choices)
    reason = forms.CharField(
        label=_("Why"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What corroborates or disputes it: sources, checks made, by whom."),
    )


class EventLinkForm(forms.Form):
    events = forms.ModelMultipleChoiceField(
        label=_("Events this item documents"),
        queryset=Event.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, events=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].queryset = events if events is not None else Event.objects.none()


class ConsentFields(forms.Form):
    consent_scope = forms.MultipleChoiceField(
        label=_("The witness agrees that this testimony may go to"),
        required=False,
        choices=Recipient.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked while consent is not given yet: then it goes nowhere."),
    )
    consent_body = forms.CharField(
        label=_("Named court or investigative body"),
        required=False,
        max_length=200,
        help_text=_("Only this body, by this name, may receive it."),
    )

    def clean(self):
        data = super().clean()
        if (
            Recipient.COURT in data.get("consent_scope", [])
            and not data.get("consent_body", "").strip()
        ):
            self.add_error("consent_body", _("Name the court or investigative body."))
        return data


class TestimonyForm(_WithCase, ConsentFields):
    case = CaseField(label=_("Witness (case codename)"))
    interviewed_on = forms.DateField(label=_("Interview date"), widget=DateInput)
    interviewer = forms.ModelChoiceField(label=_("Interviewer"), queryset=None)
    interpreter = forms.CharField(label=_("Interpreter"), required=False, max_length=120)
    language = forms.CharField(label=_("Language of the statement"), max_length=60)
    statement = forms.CharField(
        label=_("Statement"),
        widget=forms.Textarea(attrs={"rows": 14}),
        # format_lazy, not +: the help is read in the reader's language, not at import.
        help_text=format_lazy(
            "{} {}",
            _(
                "In the witness's words, as told. Mark what he saw himself and what he heard "
                "from others."
            ),
            NEVER_WRITE,
        ),
    )
    event = forms.ModelChoiceField(
        label=_("About the event"), queryset=Event.objects.none(), required=False
    )
    role = forms.ChoiceField(
        label=_("The witness's role in it"), choices=WitnessRole.choices, required=False
    )

    field_order = [
        "case",
        "interviewed_on",
        "interviewer",
        "interpreter",
        "language",
        "statement",
        "event",
        "role",
        "consent_scope",
        "consent_body",
    ]

    def __init__(self, *args, events=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["interviewer"].queryset = get_user_model().objects.filter(is_active=True)
        self.fields["event"].queryset = events if events is not None else Event.objects.none()

    def clean(self):
        data = super().clean()
        if data.get("event") is not None and not data.get("role"):
            self.add_error("role", _("Say what the witness's role in this event was."))
        return data


class ConsentForm(ConsentFields):
    withdraw = forms.BooleanField(
        label=_("The witness has withdrawn consent"),
        required=False,
        help_text=_("Then the testimony goes to no one, whatever is ticked above."),
    )


class TestimonyEventForm(forms.Form):
    event = forms.ModelChoiceField(label=_("Event"), queryset=Event.objects.none())
    role = forms.ChoiceField(label=_("The witness's role in it"), choices=WitnessRole.choices)

    def __init__(self, *args, events=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = events if events is not None else Event.objects.none()


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = list(Event.CORRECTABLE_FIELDS)  # what the form edits is what a correction keeps
        widgets = {
            "date_from": DateInput,
            "date_to": DateInput,
            "perpetrator_names": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["act_type"].choices = ActType.choices
        self.fields["date_certainty"].choices = DateCertainty.choices
        self.fields["description"].help_text = NEVER_WRITE

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The last day is before the first."))
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        return data


class RecipientFields(forms.Form):
    recipient = forms.ChoiceField(label=_("Recipient"), choices=Recipient.choices)
    body = forms.CharField(
        label=_("Name of the court, investigative body or partner"),
        required=False,
        max_length=200,
        help_text=_("For a court or investigative body: as named in the consent."),
    )

    def clean(self):
        data = super().clean()
        recipient = data.get("recipient")
        if recipient == Recipient.COURT and not data.get("body", "").strip():
            self.add_error("body", _("Name the court or investigative body."))
        if recipient not in (Recipient.COURT, Recipient.PARTNER):
            data["body"] = ""
        return data


class ExportForm(RecipientFields):
    case = CaseField()

    field_order = ["case", "recipient", "body"]

    def __init__(self, *args, cases=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].cases = cases if cases is not None else Case.objects.none()


class CaseExportForm(RecipientFields):
    """The case page's export form, and a recipient: without one, no evidence goes along."""

    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("html", _("Printable page (print to PDF)")), ("json", "JSON")],
    )
    reason = forms.ChoiceField(
        label=_("Include the identity?"),
        required=False,
        help_text=_("Choosing a reason includes the identity; the export is audited either way."),
    )

    field_order = ["format", "reason", "recipient", "body"]

    def __init__(self, *args, identity=False, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].required = False
        self.fields["recipient"].choices = [
            ("", _("Not named: no evidence and no testimony go with it")),
            *Recipient.choices,
        ]
        self.fields["reason"].choices = [("", _("No, codename only")), *reasons]
        if not identity:
            del self.fields["reason"]


class EventCorrectionForm(EventForm):
    """The event's fields as they should read, and why: the earlier version is kept. Not
    bound to the event (a model form would change it before the service keeps it)."""

    reason = forms.CharField(
        label=_("Why it is corrected"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the earlier version, e.g. “the date was a typing error”."),
    )


class EventWithdrawForm(forms.Form):
    # Shown on the same page as the correction form, whose "reason" would share its id.
    prefix = "withdraw"

    reason = forms.CharField(
        label=_("Why it is withdrawn"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. “recorded twice”. The event leaves every list and export; its "
                    "history stays."),
    )


class AddendumForm(forms.Form):
    text = forms.CharField(
        label=_("Correction or addition"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What is to be read differently or added. The statement itself stays as "
                    "it was taken."),
    )
    reason = forms.CharField(
        label=_("Why"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. “second interview on 3 May”, “the interpreter's error, found on "
                    "listening again”."),
    )


class HandoverForm(forms.Form):
    with_whom = forms.CharField(
        label=_("Handed to"),
        max_length=300,
        help_text=_("Who received it: a name, a role, an organisation. Kept encrypted."),
    )
    how = forms.CharField(
        label=_("How"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("In person, by courier, sealed bag number… Kept encrypted."),
    )


class ReceiveBackForm(forms.Form):
    note = forms.CharField(
        label=_("How it came back"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: seal intact, returned by whom… Kept encrypted."),
    )
