from django import forms
from django.utils.translation import gettext_lazy as _

from .card import NAME_MAX, Card, CardError

CARD_MAX_BYTES = 8 * 1024  # a card is a few hundred bytes


class CardUploadForm(forms.Form):
    card = forms.FileField(
        label=_("The partner's card"),
        help_text=_("The small text file their coordinator gave you (“waystation partner card”)."),
    )
    name = forms.CharField(
        label=_("Name for this partner"),
        max_length=NAME_MAX,
        help_text=_("How this group appears here, e.g. the city. Only you see it."),
    )

    def clean_card(self):
        upload = self.cleaned_data["card"]
        if upload.size > CARD_MAX_BYTES:
            raise forms.ValidationError(_("This file is too large to be a partner card."))
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("This is not a Waystation partner card.")) from None
        try:
            self.parsed = Card.parse(text)
        except CardError as error:
            raise forms.ValidationError(str(error)) from None
        return text


class ConfirmPartnerForm(forms.Form):
    """The second step: the card comes back hidden, with the member's word that the
    fingerprint matched."""

    card_text = forms.CharField(widget=forms.HiddenInput, max_length=CARD_MAX_BYTES)
    name = forms.CharField(widget=forms.HiddenInput, max_length=NAME_MAX)
    compared = forms.BooleanField(
        label=_("The partner read me the same fingerprint, digit for digit."),
        required=True,
    )


class RevokeForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Refuse everything this partner sends from now on."), required=True
    )


class ImportForm(forms.Form):
    package = forms.FileField(
        label=_("Package file"),
        help_text=_("A referral, transfer or receipt a partner group sent you."),
    )
