"""The demo ledger: funds and accounts in RUB, KZT and EUR, donations (named, pseudonymous,
anonymous, one towards a pledge), disbursements for two cases (one waiting for a second
approver), a transfer, an exchange, a cash count that found a small difference, and rates.
Written through the services, so it is audited like real use; the names and memos are in the
demo's language (see waystation.demo)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import pgettext

from . import services
from .models import AccountKind, Category, DonorKind

D = Decimal


def demo_ledger(*, treasurer, approver, cases) -> None:
    """``treasurer`` records, ``approver`` approves; ``cases`` are two cases named by codename."""
    today = timezone.localdate()

    def ago(days):
        return today - timedelta(days=days)

    def account(name, kind, currency):
        return services.account_create(actor=treasurer, name=name, kind=kind, currency=currency)

    general = services.fund_create(
        actor=treasurer,
        name=pgettext("demo", "General fund"),
        purpose=pgettext("demo", "rent, food"),
    )
    detention = services.fund_create(
        actor=treasurer,
        name=pgettext("demo", "Detention support"),
        purpose=pgettext("demo", "parcels, lawyer visits"),
    )
    legal = services.fund_create(actor=treasurer, name=pgettext("demo", "Legal fees"))
    cash_kzt = account(pgettext("demo", "Cash box, Almaty"), AccountKind.CASH, "KZT")
    kaspi = account(pgettext("demo", "Kaspi …0917"), AccountKind.PAYMENT_SERVICE, "KZT")
    card_rub = account(pgettext("demo", "Card …4411"), AccountKind.BANK_CARD, "RUB")
    iban_eur = account(
        pgettext("demo", "Partner association's account"), AccountKind.BANK_CARD, "EUR"
    )
    wallet = account(
        pgettext("demo", "USDT wallet (ledger label)"), AccountKind.CRYPTO_WALLET, "USD"
    )
    for code, quote, rate in (("EUR", "KZT", "520"), ("RUB", "KZT", "5.6"), ("USD", "EUR", "0.92")):
        services.rate_set(actor=treasurer, currency=code, quote=quote, rate=D(rate))

    pledge = services.pledge_create(
        actor=treasurer,
        donor_kind=DonorKind.NAMED,
        donor_name="Connection e.V.",
        fund=legal,
        currency="EUR",
        amount=D("1500"),
        due_on=ago(-30),
    )
    donations = [
        (iban_eur, general, "2400", 75, DonorKind.NAMED, pgettext("demo", "Hanna Beispiel")),
        (
            card_rub,
            general,
            "35000",
            70,
            DonorKind.PSEUDONYM,
            pgettext("demo", "A friend from Piter"),
        ),
        (card_rub, detention, "12500.50", 40, DonorKind.ANONYMOUS, ""),
        (
            kaspi,
            detention,
            "150000",
            33,
            DonorKind.PSEUDONYM,
            pgettext("demo", "Friends in Almaty"),
        ),
        (wallet, general, "800", 20, DonorKind.ANONYMOUS, ""),
    ]
    given = []
    for account, fund, amount, days, kind, name in donations:
        given.append(
            services.donation_record(
                actor=treasurer,
                account=account,
                fund=fund,
                amount=D(amount),
                date=ago(days),
                donor_kind=kind,
                donor_name=name,
            )
        )
    # A returning donor, chosen from those recorded: her gifts are counted together.
    services.donation_record(
        actor=treasurer,
        account=iban_eur,
        fund=general,
        amount=D("600"),
        date=ago(15),
        donor=given[0].donor,
    )
    services.donation_record(
        actor=treasurer, account=iban_eur, fund=legal, amount=D("750"), date=ago(12), pledge=pledge
    )
    exchange = services.exchange_record(
        actor=treasurer,
        source=iban_eur,
        target=kaspi,
        fund=general,
        sold=D("1000"),
        bought=D("515300"),
        date=ago(60),
        memo=pgettext("demo", "exchanged through Kaspi at 515.3"),
    )
    services.disbursement_approve(actor=approver, entry=exchange)  # above the EUR threshold
    services.transfer_record(
        actor=treasurer,
        source=kaspi,
        target=cash_kzt,
        fund=general,
        amount=D("300000"),
        date=ago(58),
        memo=pgettext("demo", "cash withdrawal"),
    )
    detained, newcomer = cases
    spending = [
        (cash_kzt, general, "180000", 55, Category.RENT, newcomer, pgettext("demo", "flat, March")),
        (
            cash_kzt,
            general,
            "42350",
            50,
            Category.FOOD,
            None,
            pgettext("demo", "food for 3 families"),
        ),
        (
            kaspi,
            detention,
            "18500",
            30,
            Category.PARCELS,
            detained,
            pgettext("demo", "parcel to the remand prison"),
        ),
        (cash_kzt, general, "6400", 28, Category.TRANSPORT, newcomer, ""),
        (
            card_rub,
            general,
            "4200",
            25,
            Category.DOCUMENTS,
            newcomer,
            pgettext("demo", "translation of documents"),
        ),
        (kaspi, detention, "9800", 10, Category.MEDICAL, detained, pgettext("demo", "medicine")),
        (
            iban_eur,
            legal,
            "450",
            8,
            Category.LAWYER,
            detained,
            pgettext("demo", "lawyer's consultation"),
        ),
    ]
    for account, fund, amount, days, category, case, memo in spending:
        entry = services.disbursement_record(
            actor=treasurer,
            account=account,
            fund=fund,
            amount=D(amount),
            date=ago(days),
            category=category,
            case=case,
            memo=memo,
        )
        if entry.state == "pending":  # large, or over the day's total: approved long ago
            services.disbursement_approve(actor=approver, entry=entry)
    # The translation was recorded twice by mistake: the second is reversed on its own date.
    twice = services.disbursement_record(
        actor=treasurer,
        account=card_rub,
        fund=general,
        amount=D("4200"),
        date=ago(25),
        category=Category.DOCUMENTS,
        case=newcomer,
        memo=pgettext("demo", "translation of documents"),
    )
    if twice.state == "pending":
        services.disbursement_approve(actor=approver, entry=twice)
    services.transaction_reverse(
        actor=treasurer, entry=twice, reason=pgettext("demo", "recorded twice")
    )
    # waits for the second approver in the demo: above the KZT threshold
    services.disbursement_record(
        actor=treasurer,
        account=kaspi,
        fund=legal,
        amount=D("320000"),
        date=ago(2),
        category=Category.LAWYER,
        case=detained,
        memo=pgettext("demo", "lawyer: appeal against extradition"),
    )
    services.cash_count_record(
        actor=treasurer, account=cash_kzt, fund=general, counted=D("70750"), date=ago(1)
    )
