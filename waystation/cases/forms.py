from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waystation.accounts.roles import Role

from .models import (
    DocumentKind,
    DocumentState,
    NeedKind,
    RiskKind,
    Status,
    Urgency,
)
from .selectors import SORTS, CaseFilters, assignable
from .services import RevealReason

_NO_ROUTES = _("Never routes, crossing plans or the names of helpers on a route.")


class DateInput(forms.DateInput):
    input_type = "date"


def _no_future(value):
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("The date is in the future."))


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return str(user)


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Codename, city, tag or words from the notes."),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Status.choices]
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any urgency")), *Urgency.choices],
    )
    risk = forms.ChoiceField(
        label=_("Risk"), required=False, choices=[("", _("Any risk")), *RiskKind.choices]
    )
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    needs_open = forms.BooleanField(label=_("Needs open"), required=False)
    tasks_overdue = forms.BooleanField(label=_("Tasks overdue"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("urgency", _("Most urgent first")),
            ("updated", _("Recently changed")),
            ("codename", _("Codename")),
            ("status", _("Status")),
        ],
    )

    def __init__(self, *args, show_assignees: bool = True, show_care: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_care:  # a lawyer's list says nothing about the care side
            del self.fields["needs_open"]
        if show_assignees:
            people = assignable(Role.CASEWORKER) | assignable(Role.LAWYER)
            self.fields["assignee"].choices = [
                ("", _("Anyone")),
                ("none", _("No caseworker yet")),
                *((str(user.pk), str(user)) for user in people.distinct().order_by("username")),
            ]
        else:
            del self.fields["assignee"]

    def filters(self, *, mine: bool = False) -> CaseFilters:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        assignee = data.get("assignee") or ""
        sort = data.get("sort") or "urgency"
        return CaseFilters(
            query=data.get("q", ""),
            status=data.get("status", ""),
            urgency=data.get("urgency"),
            risk=data.get("risk", ""),
            assignee=int(assignee) if assignee.isdigit() else None,
            unassigned=assignee == "none",
            needs_open=bool(data.get("needs_open")),
            tasks_overdue=bool(data.get("tasks_overdue")),
            sort=sort if sort in SORTS else "urgency",
            mine=mine,
        )


class TagsField(forms.CharField):
    def to_python(self, value):
        text = super().to_python(value) or ""
        return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(tag) for tag in value)
        return value


class CaseForm(forms.Form):
    codename = forms.CharField(
        label=_("Codename"),
        required=False,
        max_length=40,
        help_text=_(
            "Leave empty for a new one (two words and a number, Latin letters, easy to say on "
            "the phone)."
        ),
    )
    status = forms.ChoiceField(
        label=_("Status now"), choices=Status.choices, initial=Status.IN_TRANSIT
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), coerce=int, choices=Urgency.choices, initial=Urgency.WATCH
    )
    languages = forms.CharField(label=_("Languages spoken"), required=False, max_length=200)
    city = forms.CharField(
        label=_("City of stay"),
        required=False,
        max_length=120,
        help_text=_("The city only — never a street or an address."),
    )
    tags = TagsField(
        label=_("Tags"), required=False, help_text=_("Separated by commas, e.g. family, medical.")
    )
    summary = forms.CharField(
        label=_("Situation in short"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_NO_ROUTES,
    )
    caseworker = MemberChoiceField(
        label=_("Caseworker"), required=False, queryset=assignable(Role.CASEWORKER)
    )
    lawyer = MemberChoiceField(label=_("Lawyer"), required=False, queryset=assignable(Role.LAWYER))


class CaseEditForm(forms.Form):
    urgency = forms.TypedChoiceField(label=_("Urgency"), coerce=int, choices=Urgency.choices)
    languages = forms.CharField(label=_("Languages spoken"), required=False, max_length=200)
    city = forms.CharField(
        label=_("City of stay"),
        required=False,
        max_length=120,
        help_text=_("The city only — never a street or an address."),
    )
    tags = TagsField(label=_("Tags"), required=False)
    summary = forms.CharField(
        label=_("Situation in short"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_NO_ROUTES,
    )


class AssignForm(forms.Form):
    caseworker = MemberChoiceField(
        label=_("Caseworker"), required=False, queryset=assignable(Role.CASEWORKER)
    )
    lawyer = MemberChoiceField(label=_("Lawyer"), required=False, queryset=assignable(Role.LAWYER))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    on = forms.DateField(
        label=_("Since"), widget=DateInput, initial=timezone.localdate, validators=[_no_future]
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300, help_text=_NO_ROUTES)


class RiskForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RiskKind.choices)
    on = forms.DateField(
        label=_("Date"),
        widget=DateInput,
        help_text=_("The hearing day, the first day of detention, the date of a listing."),
    )
    place = forms.CharField(
        label=_("Where"),
        required=False,
        max_length=200,
        help_text=_("Court, detention centre, authority."),
    )
    visits = forms.CharField(
        label=_("Visits"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who may visit, when, what can be brought."),
    )
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=300)


class RiskOutcomeForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=300)
    visits = forms.CharField(
        label=_("Visits"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who may visit, when, what can be brought."),
    )


class FamilyForm(forms.Form):
    relation = forms.CharField(
        label=_("Relation"), max_length=60, help_text=_("Wife, son, mother… No names here.")
    )
    age = forms.IntegerField(label=_("Age"), required=False, min_value=0, max_value=120)
    with_them = forms.BooleanField(label=_("With them now"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    state = forms.ChoiceField(label=_("State"), choices=DocumentState.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=300,
        help_text=_("Not the number: numbers go into the identity vault."),
    )


class NeedForm(forms.Form):
    kind = forms.ChoiceField(label=_("Need"), choices=NeedKind.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class ServiceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Help given"), choices=NeedKind.choices)
    delivered_on = forms.DateField(
        label=_("Date"), widget=DateInput, initial=timezone.localdate, validators=[_no_future]
    )
    note = forms.CharField(label=_("What was given"), required=False, max_length=300)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    due_on = forms.DateField(label=_("Due"), widget=DateInput, required=False)
    assignee = MemberChoiceField(label=_("Assigned to"), required=False, queryset=None)

    def __init__(self, *args, team=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = get_user_model().objects.filter(
            pk__in=[user.pk for user in team]
        )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_NO_ROUTES
    )
    legal = forms.BooleanField(
        label=_("For the lawyer too"),
        required=False,
        help_text=_("The case's lawyer sees only notes marked like this."),
    )


def _reason_field(label):
    return forms.CharField(
        label=label,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the history, encrypted, for those who may read this entry."),
    )


class NoteCorrectForm(NoteForm):
    reason = _reason_field(_("Why is it corrected?"))


class RiskCorrectForm(RiskForm):
    reason = _reason_field(_("Why is it corrected?"))


class StatusCorrectForm(StatusForm):
    reason = _reason_field(_("Why is it corrected?"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].label = _("Status")


class WithdrawForm(forms.Form):
    reason = _reason_field(_("Why is it withdrawn?"))


# Each correctable record's form (cases.selectors.CORRECTABLE) and the fields it fills in.
CORRECT_FORMS = {"note": NoteCorrectForm, "risk": RiskCorrectForm, "status": StatusCorrectForm}


class RevealForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why do you need to see it?"),
        choices=[("", "—"), *RevealReason.CHOICES],
        help_text=_("Each reveal is written to the audit log with this reason."),
    )


class IdentityForm(forms.Form):
    legal_name = forms.CharField(
        label=_("Legal name"), required=False, max_length=300, help_text=_("In any script.")
    )
    transliteration = forms.CharField(
        label=_("Name in Latin letters"),
        required=False,
        max_length=300,
        help_text=_("As in the foreign passport, if there is one."),
    )
    callsign = forms.CharField(
        label=_("Callsign or nickname"),
        required=False,
        max_length=200,
        help_text=_("A military call sign or a nickname identifies a person too."),
    )
    birth_date = forms.CharField(
        label=_("Birth date"),
        required=False,
        max_length=40,
        help_text=_("As written in documents."),
    )
    phone = forms.CharField(label=_("Phone"), required=False, max_length=100)
    document_numbers = forms.CharField(
        label=_("Document numbers"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    address = forms.CharField(
        label=_("Exact address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    erase_all = forms.BooleanField(
        label=_("Erase the whole identity"),
        required=False,
        help_text=_(
            "Only needed when every field above is empty. A coordinator can still bring back "
            "the earlier version."
        ),
    )


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("html", _("Printable page (print to PDF)")), ("json", "JSON")],
    )
    reason = forms.ChoiceField(
        label=_("Include the identity?"),
        required=False,
        choices=[("", _("No, codename only")), *RevealReason.CHOICES],
        help_text=_("Choosing a reason includes the identity; the export is audited either way."),
    )


class PeopleUploadForm(forms.Form):
    """``refusal``: why the upload was refused before the form saw it (a file over the size
    limit never reaches the form), said at the field."""

    file = forms.FileField(
        label=_("Your list of people"),
        required=False,  # said below, so that a refusal for the size takes its place
        help_text=_(
            "CSV, XLSX or ODS, one person per row, with a header row in any language: city, "
            "status, urgency, needs, languages, family, date of arrival, notes, and any "
            "columns that name the person (full name, callsign, phone, passport, address)."
        ),
    )

    def __init__(self, *args, refusal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.refusal = refusal

    def clean(self):
        data = super().clean()
        if self.refusal:
            raise forms.ValidationError({"file": self.refusal})
        if not data.get("file") and not self.has_error("file"):
            raise forms.ValidationError({"file": _("Choose the file to import.")})
        return data
