from django import forms
from django.utils.translation import gettext_lazy as _

from waystation.audit.events import Event


class AuditFilterForm(forms.Form):
    actor = forms.TypedChoiceField(label=_("By"), required=False, coerce=int, empty_value=None)
    event = forms.ChoiceField(
        label=_("Event"), required=False, choices=[("", _("Any event")), *Event.choices]
    )
    object = forms.CharField(
        label=_("Object"),
        required=False,
        max_length=130,
        help_text=_("Type and number, e.g. accounts.user:4"),
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [("", _("Anyone"))] + [(u.pk, str(u)) for u in users]

    def clean_object(self):
        raw = self.cleaned_data["object"].strip()
        if not raw:
            return ("", "")
        kind, sep, ident = raw.partition(":")
        if not sep or not kind or not ident:
            raise forms.ValidationError(
                _("Write the type, a colon and the number, e.g. accounts.user:4")
            )
        return (kind.strip().lower(), ident.strip())

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date is before the start date."))
        return data
