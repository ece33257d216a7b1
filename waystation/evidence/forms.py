from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from waystation.cases.forms import DateInput
from waystation.cases.models import Case

from .models import (
    AcquiredHow,
    ActType,
    DateCertainty,
    Event,
    ItemKind,
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


class ItemUploadForm(_WithCase):
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
        help_text=_(
            "In the witness's words, as told. Mark what he saw himself and what he heard from "
            "others. "
        )
        + NEVER_WRITE,
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
        fields = [
            "act_type",
            "title",
            "date_from",
            "date_to",
            "date_certainty",
            "place",
            "latitude",
            "longitude",
            "victims_count",
            "victims_kind",
            "perpetrator_unit",
            "perpetrator_rank",
            "perpetrator_names",
            "description",
        ]
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


class ExportForm(forms.Form):
    case = CaseField()
    recipient = forms.ChoiceField(label=_("Recipient"), choices=Recipient.choices)
    body = forms.CharField(
        label=_("Name of the court or investigative body"),
        required=False,
        max_length=200,
        help_text=_("For a court or investigative body: as named in the witness's consent."),
    )

    def __init__(self, *args, cases=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].cases = cases if cases is not None else Case.objects.none()

    def clean(self):
        data = super().clean()
        if data.get("recipient") == Recipient.COURT and not data.get("body", "").strip():
            self.add_error("body", _("Name the court or investigative body."))
        if data.get("recipient") != Recipient.COURT:
            data["body"] = ""
        return data
