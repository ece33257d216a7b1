from django import forms
from django.utils.translation import gettext_lazy as _


class ProposalForm(forms.Form):
    text = forms.CharField(
        label=_("What should change"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "What is wrong, missing or outdated, and where it comes from: the law, the decision, "
            "the official page. Never a person's name or the details of a case."
        ),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("decline", _("Decline"))])
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why, and for an accepted proposal: who edits the file."),
    )


class ChooseForm(forms.Form):
    pathway = forms.ChoiceField(label=_("Pathway"))
    note = forms.CharField(
        label=_("Why this pathway (optional)"),
        required=False,
        max_length=300,
        help_text=_("A few words. Never routes, crossing plans or helpers' names."),
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pathway"].choices = list(choices)
