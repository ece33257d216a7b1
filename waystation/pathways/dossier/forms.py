from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from waystation.core import signing
from waystation.evidence.models import Recipient

from ..texts import localized
from .contents import AGE_RECIPIENT_INVALID, LANGUAGES, Choices, clean_text

OUTPUTS = (
    ("pdf", _("PDF")),
    ("zip", _("ZIP: the PDF, the chosen evidence files and a SHA-256 manifest")),
)


class DossierForm(forms.Form):
    """What goes into the dossier. The identity field exists only for users the policy lets
    include it: a tampered form asking for it is not even read."""

    language = forms.ChoiceField(label=_("Language of the dossier"), choices=LANGUAGES)
    pathway = forms.ChoiceField(label=_("Pathway applied for"), required=False)
    identity = forms.BooleanField(
        label=_(
            "Include the identity (legal name, name in Latin letters, birth date, document numbers)"
        ),
        required=False,
        help_text=_("Never the phone or the address. The audit log records that you included it."),
    )
    recipient = forms.ChoiceField(
        label=_("Recipient"),
        required=False,
        choices=[
            ("", _("Not named (no evidence or testimony can be included)")),
            *Recipient.choices,
        ],
        help_text=_(
            "An item goes in only when its source consented to this recipient (or its terms "
            "allow it); a testimony only when its witness did. Choosing one that may not go "
            "refuses the whole dossier and says why."
        ),
    )
    recipient_body = forms.CharField(
        label=_("Name of the court, investigative body or partner"),
        required=False,
        max_length=200,
    )
    testimonies = forms.MultipleChoiceField(
        label=_("Testimonies"), required=False, widget=forms.CheckboxSelectMultiple
    )
    items = forms.MultipleChoiceField(
        label=_("Evidence items"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Listed with their SHA-256; in a ZIP, the files themselves too."),
    )
    output = forms.ChoiceField(label=_("Format"), choices=OUTPUTS, initial="pdf")
    age_recipient = forms.CharField(
        label=_("Encrypt to the recipient's age key (optional)"),
        required=False,
        max_length=200,
        help_text=_(
            "Their public key, starting with “age1”. The download is then one .age file that "
            "only their key opens; they decrypt it with “age -d -i key.txt”."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, pathways=(), testimonies=(), items=(), identity=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pathway"].choices = [("", _("None"))] + [
            (p.id, localized(p.names).text) for p in pathways
        ]
        self.fields["testimonies"].choices = [(str(t.pk), _testimony_label(t)) for t in testimonies]
        self.fields["items"].choices = [(str(item.pk), _item_label(item)) for item in items]
        if not identity:
            del self.fields["identity"]
        if not testimonies:
            del self.fields["testimonies"]
        if not items:
            del self.fields["items"]
        if not testimonies and not items:
            for name in ("recipient", "recipient_body"):
                del self.fields[name]

    def clean(self):
        """Only what the form can tell: whether what may go is decided by the exit gate."""
        data = super().clean()
        chosen = data.get("testimonies") or data.get("items")
        recipient, body = data.get("recipient", ""), data.get("recipient_body", "").strip()
        if chosen and not recipient:
            self.add_error(
                "recipient", _("Choose who receives the dossier: what may go depends on it.")
            )
        elif recipient == Recipient.COURT and not body:
            self.add_error("recipient_body", _("Name the court or investigative body."))
        key = data.get("age_recipient", "").strip()
        if key:
            try:
                signing.age_recipient(key)
            except ValueError:
                self.add_error("age_recipient", AGE_RECIPIENT_INVALID)
        return data

    def choices(self) -> Choices:
        data = self.cleaned_data
        return Choices(
            language=data["language"],
            pathway_id=data.get("pathway", ""),
            identity=bool(data.get("identity")),
            recipient=data.get("recipient", ""),
            recipient_body=data.get("recipient_body", "").strip(),
            testimony_ids=tuple(data.get("testimonies", ())),
            item_ids=tuple(data.get("items", ())),
            output=data["output"],
            age_recipient=data.get("age_recipient", "").strip(),
        )


def _testimony_label(testimony) -> str:
    consent = ", ".join(testimony.consent_labels()) if not testimony.consent_withdrawn else ""
    return _("%(date)s, in %(language)s — consent: %(consent)s") % {
        "date": testimony.interviewed_on.isoformat(),
        "language": testimony.language,
        "consent": consent or _("none"),
    }


def _item_label(item) -> str:
    return (
        f"{clean_text(item.original_name)} · {item.get_kind_display()} · "
        f"{filesizeformat(item.size)} · {item.acquired_on.isoformat()} · {item.sha256[:12]}…"
    )
