from django import forms
from django.utils.translation import gettext_lazy as _

from waystation.cases.services import RevealReason

from .models import Kind


class SendForm(forms.Form):
    partner = forms.ChoiceField(label=_("Partner group"))
    kind = forms.ChoiceField(
        label=_("What you ask of them"), choices=Kind.choices, initial=Kind.REFERRAL
    )
    message = forms.CharField(
        label=_("Message to them"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you ask, what they need to know. No escape routes, no helpers' names."),
    )
    care = forms.BooleanField(
        label=_("The care side (summary, family, needs, services, notes)"), required=False
    )
    legal = forms.BooleanField(
        label=_("The legal side (timeline, risk events, documents, tasks)"), required=False
    )

    def __init__(self, *args, partners=(), identity=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", "—")] + [(p, p) for p in partners]
        if identity:
            self.fields["identity"] = forms.BooleanField(
                label=_("The identity (read from the vault, audited like a reveal)"),
                required=False,
            )
            self.fields["reason"] = forms.ChoiceField(
                label=_("Why the identity goes"),
                choices=[("", "—"), *RevealReason.CHOICES],
                required=False,
            )

    def clean(self):
        data = super().clean()
        if data.get("identity") and not data.get("reason"):
            self.add_error("reason", _("Say why the identity goes with it."))
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you decline"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The sender reads this in the receipt."),
    )
