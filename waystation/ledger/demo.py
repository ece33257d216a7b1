"""The demo ledger: funds and accounts in RUB, KZT and EUR, donations (named, pseudonymous,
anonymous, one towards a pledge), disbursements for two cases (one waiting for a second
approver), a transfer, an exchange, a cash count that found a small difference, and rates.
Written through the services, so it is audited like real use."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from . import services
from .models import AccountKind, Category, DonorKind

D = Decimal


def demo_ledger(*, treasurer, approver, cases) -> None:
    """``treasurer`` records, ``approver`` approves; ``cases`` are two cases named by codename."""
    today = timezone.localdate()

    def ago(days):
        return today - timedelta(days=days)

    general = services.fund_create(actor=treasurer, name="Общий фонд", purpose="rent, food")
    detention = services.fund_create(
        actor=treasurer, name="Detention support", purpose="parcels, lawyer visits"
    )
    legal = services.fund_create(actor=treasurer, name="Legal fees")
    cash_kzt = services.account_create(
        actor=treasurer, name="Касса Алматы", kind=AccountKind.CASH, currency="KZT"
    )
    kaspi = services.account_create(
        actor=treasurer, name="Kaspi …0917", kind=AccountKind.PAYMENT_SERVICE, currency="KZT"
    )
    card_rub = services.account_create(
        actor=treasurer, name="Card …4411", kind=AccountKind.BANK_CARD, currency="RUB"
    )
    iban_eur = services.account_create(
        actor=treasurer, name="Support e.V. account", kind=AccountKind.BANK_CARD, currency="EUR"
    )
    wallet = services.account_create(
        actor=treasurer, name="USDT wallet (label)", kind=AccountKind.CRYPTO_WALLET, currency="USD"
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
        (iban_eur, general, "2400", 75, DonorKind.NAMED, "Hanna Beispiel"),
        (card_rub, general, "35000", 70, DonorKind.PSEUDONYM, "Друг из Питера"),
        (card_rub, detention, "12500.50", 40, DonorKind.ANONYMOUS, ""),
        (kaspi, detention, "150000", 33, DonorKind.PSEUDONYM, "Almaty friends"),
        (wallet, general, "800", 20, DonorKind.ANONYMOUS, ""),
    ]
    for account, fund, amount, days, kind, name in donations:
        services.donation_record(
            actor=treasurer,
            account=account,
            fund=fund,
            amount=D(amount),
            date=ago(days),
            donor_kind=kind,
            donor_name=name,
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
        memo="обмен через Kaspi, курс 515,3",
    )
    services.disbursement_approve(actor=approver, entry=exchange)  # above the EUR threshold
    services.transfer_record(
        actor=treasurer,
        source=kaspi,
        target=cash_kzt,
        fund=general,
        amount=D("300000"),
        date=ago(58),
        memo="снятие наличных",
    )
    detained, newcomer = cases
    spending = [
        (cash_kzt, general, "180000", 55, Category.RENT, newcomer, "квартира, март"),
        (cash_kzt, general, "42350", 50, Category.FOOD, None, "продукты на 3 семьи"),
        (kaspi, detention, "18500", 30, Category.PARCELS, detained, "передача в СИЗО"),
        (cash_kzt, general, "6400", 28, Category.TRANSPORT, newcomer, ""),
        (card_rub, general, "4200", 25, Category.DOCUMENTS, newcomer, "перевод документов"),
        (kaspi, detention, "9800", 10, Category.MEDICAL, detained, "лекарства"),
        (iban_eur, legal, "450", 8, Category.LAWYER, detained, "консультация адвоката"),
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
    # waits for the second approver in the demo: above the KZT threshold
    services.disbursement_record(
        actor=treasurer,
        account=kaspi,
        fund=legal,
        amount=D("320000"),
        date=ago(2),
        category=Category.LAWYER,
        case=detained,
        memo="адвокат: апелляция по экстрадиции",
    )
    services.cash_count_record(
        actor=treasurer, account=cash_kzt, fund=general, counted=D("70750"), date=ago(1)
    )
