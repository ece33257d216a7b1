from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from waystation.accounts.policy import Perm, permissions_of

from .services import MAX_DAYS


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Where you will use it, e.g. “laptop script” or “partner tool”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What it may do"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only what the tool needs. It can never do more than your roles allow."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=MAX_DAYS,
        initial=settings.API_TOKEN_DAYS,
    )

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        held = sorted(p.value for p in permissions_of(member))
        self.fields["scopes"].choices = [(code, code) for code in held]
        if not self.is_bound:
            self.initial["scopes"] = [Perm.SIGNED_IN.value]
