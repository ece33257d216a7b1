from django import forms
from django.utils.translation import gettext_lazy as _

from waystation.cases.forms import DateInput

from .models import AssessmentResult, Ground, Outcome, Standard

NEVER_WRITE = _(
    "Never write escape routes, crossing points or the names of people who helped on the way."
)
NO_CONFLICT = _(
    "I declare that I have no conflict of interest in this decision (no personal, family, "
    "financial or other tie to this person or to those he may have harmed)."
)


def _text(label, *, required=False, rows=3, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


class InterviewForm(forms.Form):
    interviewed_on = forms.DateField(label=_("Interview date"), required=False, widget=DateInput)
    unit = _text(_("Unit"), rows=2, help_text=_("Military unit(s), with their numbers."))
    rank = _text(_("Rank and position"), rows=2)
    periods = _text(_("Periods of service"), rows=2, help_text=_("From when to when, where."))
    places = _text(_("Places of service and deployment"), rows=2)
    saw = _text(_("What he saw"), rows=5)
    did = _text(_("What he did"), rows=5)
    left = _text(_("How he left the army"), rows=3, help_text=NEVER_WRITE)
    credibility = _text(
        _("Credibility notes"),
        rows=4,
        help_text=_("Consistency, detail, what fits or contradicts the evidence."),
    )


class ConcernForm(forms.Form):
    ground = forms.ChoiceField(label=_("Exclusion ground"), choices=Ground.choices)
    standard = forms.ChoiceField(
        label=_("Against the standard"),
        choices=Standard.choices,
        help_text=_(
            "Exclusion needs serious reasons for considering that the person committed or "
            "took part in the act (Refugee Convention Art. 1F; Qualification Directive "
            "Art. 12(2)): more than suspicion, less than proof beyond reasonable doubt."
        ),
    )
    description = _text(_("What gives rise to the concern"), required=True, rows=4)


class CorroborationForm(forms.Form):
    source = forms.ChoiceField(label=_("Evidence item or testimony of this case"))
    note = _text(_("What it shows"), rows=2, help_text=_("Whether it supports or contradicts."))

    def __init__(self, *args, sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "—"), *sources]


class ReferralForm(forms.Form):
    referred_on = forms.DateField(label=_("Referred on"), widget=DateInput)
    referral = _text(
        _("Referred to, and why"),
        required=True,
        rows=2,
        help_text=_("The professional or service, by role rather than by name if possible."),
    )


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(label=_("Assessed on"), widget=DateInput)
    result = forms.ChoiceField(label=_("Result"), choices=AssessmentResult.choices)
    assessment = _text(_("The professional's conclusion"), required=True, rows=4)


class _Declared(forms.Form):
    reasons = _text(_("Reasons"), required=True, rows=4)
    no_conflict = forms.BooleanField(
        label=NO_CONFLICT,
        required=True,
        error_messages={"required": _("Declare that you have no conflict of interest.")},
    )


class ProposeForm(_Declared):
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    conditions = _text(_("Conditions"), rows=2, help_text=_("For “proceed with conditions”."))
    field_order = ["outcome", "conditions", "reasons", "no_conflict"]

    def clean(self):
        data = super().clean()
        if (
            data.get("outcome") == Outcome.PROCEED_WITH_CONDITIONS
            and not data.get("conditions", "").strip()
        ):
            self.add_error("conditions", _("Say which conditions apply."))
        return data


class ReviewForm(_Declared):
    verdict = forms.ChoiceField(
        label=_("Your review"),
        choices=[
            ("confirm", _("I confirm this decision")),
            ("disagree", _("I disagree: send it to a coordinator")),
        ],
        widget=forms.RadioSelect,
    )
    field_order = ["verdict", "reasons", "no_conflict"]


class ResolveForm(ProposeForm):
    pass


class ReopenForm(forms.Form):
    reasons = _text(_("Why reopen the decision"), required=True, rows=3)


class ClearanceForm(forms.Form):
    reasons = _text(_("Why the evidence may be exported"), required=True, rows=3)
