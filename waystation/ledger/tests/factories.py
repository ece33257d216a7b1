"""A small ledger set up the way a treasurer sets one up: funds and accounts through the
services, so each is audited like real use."""

from waystation.ledger import services
from waystation.ledger.models import AccountKind


def make_books(treasurer):
    """Two funds and accounts in EUR (two), RUB and KZT."""
    general = services.fund_create(actor=treasurer, name="General")
    detention = services.fund_create(actor=treasurer, name="Detention support")
    accounts = {
        "cash_eur": services.account_create(
            actor=treasurer, name="Cash box", kind=AccountKind.CASH, currency="EUR"
        ),
        "card_eur": services.account_create(
            actor=treasurer, name="Card 4411", kind=AccountKind.BANK_CARD, currency="EUR"
        ),
        "cash_rub": services.account_create(
            actor=treasurer, name="Cash box", kind=AccountKind.CASH, currency="RUB"
        ),
        "card_kzt": services.account_create(
            actor=treasurer, name="Kaspi", kind=AccountKind.PAYMENT_SERVICE, currency="KZT"
        ),
    }
    return {"general": general, "detention": detention, **accounts}
