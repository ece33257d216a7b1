from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waystation.cases.selectors import codename_reference

from . import selectors, services
from .models import AccountKind, Category, DonorKind, Kind, ReversalDate, State
from .money import AmountError, check_amount, currency_choices

MEMO_HELP = _(
    "What it was for, in a few words. Never the name, address or documents of the person "
    "helped, and never a route."
)


class DateInput(forms.DateInput):
    input_type = "date"


class AmountField(forms.Field):
    """Typed as text and kept exactly as typed: checked against the currency in the form.
    A comma is taken as the decimal point; spaces between thousands are ignored."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "maxlength": 30})
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        text = str(value or "").strip()[:40]
        text = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
        if not text:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter an amount, e.g. 1250.50.")) from None


class AccountChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.currency})"


class DonorChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.get_kind_display()})"


class ServiceForm(forms.Form):
    """The one way a ledger form is recorded: its fields are named as the keyword arguments of
    its ``service`` (``to_kwargs`` maps any that are not), ``extra`` adds what the page knows
    (the pledge, the transaction), and ``save`` calls the service as the member who sent it.
    The view handles GET and POST alike for every such form (``views._submit``)."""

    service = None  # a function of ``ledger.services``, as staticmethod(...)

    def __init__(self, data=None, *args, viewer, extra=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.viewer = viewer
        self.extra = extra or {}

    def to_kwargs(self) -> dict:
        return dict(self.cleaned_data)

    def save(self, actor):
        return self.service(actor=actor, **self.to_kwargs(), **self.extra)


class LedgerForm(ServiceForm):
    """A form whose amounts are checked against a currency: ``amounts`` maps each amount
    field to the account field whose currency it is in (or a currency field)."""

    amounts: dict[str, str] = {}

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, viewer=viewer, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, AccountChoice):
                field.queryset = selectors.accounts_for(viewer)
            elif isinstance(field, DonorChoice):
                field.queryset = selectors.donors_to_choose(viewer)
            elif name == "fund":
                field.queryset = selectors.funds_for(viewer)

    def clean(self):
        data = super().clean()
        for amount_name, source in self.amounts.items():
            amount, origin = data.get(amount_name), data.get(source)
            if amount is None or origin is None:
                continue
            code = origin if isinstance(origin, str) else origin.currency
            try:
                data[amount_name] = check_amount(amount, code, positive=amount_name != "counted")
            except AmountError as error:
                self.add_error(amount_name, str(error))
        return data


def _fund_field():
    return forms.ModelChoiceField(label=_("Fund"), queryset=None, empty_label=None)


def _date_field(label=None):
    return forms.DateField(label=label or _("Date"), widget=DateInput, initial=timezone.localdate)


def _memo_field():
    return forms.CharField(label=_("Note"), required=False, max_length=300, help_text=MEMO_HELP)


class FundForm(ServiceForm):
    service = staticmethod(services.fund_create)
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. Detention support"))
    purpose = forms.CharField(label=_("Purpose"), max_length=300, required=False)


class AccountForm(ServiceForm):
    service = staticmethod(services.account_create)
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_(
            "A label only, e.g. “Cash box Almaty” or “Card …4411”. Never a card number, PIN, "
            "password, seed phrase or private key: Waystation does not store credentials."
        ),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[c for c in AccountKind.choices if c[0] != AccountKind.SYSTEM]
    )
    currency = forms.ChoiceField(
        label=_("Currency"),
        choices=currency_choices,
        help_text=_("One currency per account: a card in two currencies is two accounts."),
    )


class DonorForm(LedgerForm):
    """A donor chosen from those recorded, or a new one described below it."""

    donor = DonorChoice(
        label=_("Donor"),
        queryset=None,
        required=False,
        empty_label=_("A new donor (below)"),
        help_text=_("Someone who gave before: their donations are then counted together."),
    )
    donor_kind = forms.ChoiceField(
        label=_("New donor"), choices=DonorKind.choices, initial=DonorKind.ANONYMOUS
    )
    donor_name = forms.CharField(
        label=_("New donor's name or pseudonym"),
        required=False,
        max_length=200,
        help_text=_("Stored encrypted. Leave empty for an anonymous donor."),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("donor") is None
            and data.get("donor_kind") in (DonorKind.NAMED, DonorKind.PSEUDONYM)
            and not (data.get("donor_name") or "").strip()
        ):
            self.add_error("donor_name", _("Enter the name or pseudonym, or choose anonymous."))
        return data


class DonationForm(DonorForm):
    service = staticmethod(services.donation_record)
    amounts = {"amount": "account"}
    account = AccountChoice(label=_("Into account"), queryset=None)
    fund = _fund_field()
    amount = AmountField(label=_("Amount"))
    date = _date_field()
    memo = _memo_field()
    field_order = ["account", "fund", "amount", "date", "donor", "donor_kind", "donor_name"]


class PledgeForm(DonorForm):
    service = staticmethod(services.pledge_create)
    amounts = {"amount": "currency"}
    fund = _fund_field()
    currency = forms.ChoiceField(label=_("Currency"), choices=currency_choices)
    amount = AmountField(label=_("Amount promised"))
    due_on = forms.DateField(label=_("Expected by"), widget=DateInput, required=False)


class FulfilForm(LedgerForm):
    """Money towards a pledge: its fund and donor come with it (``extra``)."""

    service = staticmethod(services.donation_record)
    amounts = {"amount": "account"}
    account = AccountChoice(label=_("Into account"), queryset=None)
    amount = AmountField(label=_("Amount received"))
    date = _date_field()


class DisbursementForm(LedgerForm):
    service = staticmethod(services.disbursement_record)
    amounts = {"amount": "account"}
    account = AccountChoice(label=_("From account"), queryset=None)
    fund = _fund_field()
    amount = AmountField(label=_("Amount"))
    date = _date_field()
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    codename = forms.CharField(
        label=_("For case (codename)"),
        required=False,
        max_length=40,
        help_text=_("Optional. The codename only, e.g. amber-falcon-27."),
    )
    memo = _memo_field()

    def clean_codename(self):
        codename = self.cleaned_data["codename"].strip()
        if not codename:
            return None
        case = codename_reference(codename)
        if case is None:
            raise forms.ValidationError(_("No case has this codename."))
        return case

    def to_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["case"] = data.pop("codename")
        return data


class TransferForm(LedgerForm):
    service = staticmethod(services.transfer_record)
    amounts = {"amount": "source"}
    source = AccountChoice(label=_("From account"), queryset=None)
    target = AccountChoice(label=_("To account"), queryset=None)
    fund = _fund_field()
    amount = AmountField(label=_("Amount"))
    date = _date_field()
    memo = _memo_field()


class ExchangeForm(LedgerForm):
    service = staticmethod(services.exchange_record)
    amounts = {"sold": "source", "bought": "target"}
    source = AccountChoice(label=_("From account"), queryset=None)
    sold = AmountField(label=_("Amount sold"))
    target = AccountChoice(label=_("To account"), queryset=None)
    bought = AmountField(
        label=_("Amount received"), help_text=_("What you actually got: the rate is worked out.")
    )
    fund = _fund_field()
    date = _date_field()
    memo = _memo_field()


class CashCountForm(LedgerForm):
    service = staticmethod(services.cash_count_record)
    amounts = {"counted": "account"}
    account = AccountChoice(label=_("Account counted"), queryset=None)
    counted = AmountField(label=_("Amount counted"))
    fund = _fund_field()
    date = _date_field(_("Counted on"))
    memo = _memo_field()


class RateForm(ServiceForm):
    service = staticmethod(services.rate_set)
    currency = forms.ChoiceField(label=_("One unit of"), choices=currency_choices)
    quote = forms.ChoiceField(label=_("is worth, in"), choices=currency_choices)
    rate = forms.DecimalField(label=_("Rate"), max_digits=24, decimal_places=10, min_value=0)
    as_of = _date_field(_("As of"))

    def clean(self):
        data = super().clean()
        if data.get("rate") is not None and data["rate"] <= 0:
            self.add_error("rate", _("Enter a rate above zero."))
        if data.get("currency") and data.get("currency") == data.get("quote"):
            self.add_error("quote", _("Choose two different currencies."))
        return data


class ReverseForm(ServiceForm):
    """Reverse the transaction given in ``extra`` (as ``entry``)."""

    service = staticmethod(services.transaction_reverse)
    reason = forms.CharField(
        label=_("Why is it reversed?"),
        max_length=300,
        help_text=_(
            "Seen by everyone who reads the ledger, e.g. “recorded twice” or “wrong account”. "
            "Never the name, address or documents of the person helped."
        ),
    )
    when = forms.ChoiceField(
        label=_("Date of the reversal"),
        choices=ReversalDate.choices,
        initial=ReversalDate.SAME,
        widget=forms.RadioSelect,
        help_text=_(
            "If a cash count of the account was recorded on or after the original's date, that "
            "period is closed and the reversal is dated today."
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


class JournalFilterForm(PeriodForm):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *Kind.choices]
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All")), *State.choices]
    )


class ReportForm(PeriodForm):
    currency = forms.ChoiceField(label=_("Currency"), choices=currency_choices)
