from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waystation.cases.selectors import case_by_codename

from .models import Channel, Organisation, OrganisationKind, ResponseKind


class DateInput(forms.DateInput):
    input_type = "date"


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *OrganisationKind.choices]
    )


class OrganisationForm(forms.ModelForm):
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = ["name", "kind", "country", "city", "website", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class ApproachForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput, initial=timezone.localdate)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    contact_name = forms.CharField(label=_("Contact person"), required=False, max_length=200)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=300)
    summary = forms.CharField(
        label=_("Text or summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the group or a case — never escape routes or names of helpers."),
    )
    case = forms.CharField(
        label=_("On behalf of a case"),
        required=False,
        max_length=60,
        help_text=_("The case's codename. Leave empty when you write for the group."),
    )

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def clean_case(self):
        text = self.cleaned_data["case"].strip()
        if not text:
            return None
        case = case_by_codename(self.viewer, text)
        if case is None:
            raise forms.ValidationError(_("No case you may open has this codename."))
        return case

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date is in the future."))
        return value


class ResponseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Response"), choices=ResponseKind.choices[1:])
    date = forms.DateField(label=_("Response date"), widget=DateInput, required=False)
    text = forms.CharField(
        label=_("What they said"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_(
            "CSV, XLSX or ODS with one approach per row: date, organisation, contact, "
            "channel, response, response date, comment."
        ),
    )


class PeriodForm(forms.Form):
    since = forms.DateField(label=_("From"), required=False, widget=DateInput)
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date is before the start date."))
        return data


class AliasForm(forms.Form):
    name = forms.CharField(
        label=_("Another name"),
        max_length=300,
        help_text=_("The same organisation as written elsewhere, e.g. in another language."),
    )


class MergeForm(forms.Form):
    other = forms.ModelChoiceField(
        label=_("Merge this other entry into this one"),
        queryset=Organisation.objects.none(),
        help_text=_("Its approaches, contact people and names move here; the other entry goes."),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = Organisation.objects.exclude(pk=organisation.pk)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    role = forms.CharField(label=_("Role"), max_length=200, required=False)
    addresses = forms.CharField(
        label=_("Addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Email, phone, messenger — one per line."),
    )
