from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from .roles import Role

username_validator = RegexValidator(
    r"^[A-Za-z0-9._-]{2,64}$",
    _("Use 2 to 64 letters, digits, dots, dashes or underscores."),
)


class SignInForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6 digits from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}
        ),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=Role.choices, label=_("Roles"), **kwargs)


class InviteForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=64,
        validators=[username_validator],
        help_text=_("A nickname, not a real name. Letters, digits, . _ -"),
    )
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=100,
        required=False,
        help_text=_("How the team knows this person. Optional."),
    )
    roles = RolesField()


class RolesForm(forms.Form):
    roles = RolesField()


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 12 characters. A few unrelated words are easy to remember."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class PasswordChangeForm(SetPasswordForm):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["old_password", "password1", "password2"]
