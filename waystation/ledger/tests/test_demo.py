from decimal import Decimal

from waystation.cases.tests.factories import make_case
from waystation.ledger import selectors
from waystation.ledger.demo import demo_ledger
from waystation.ledger.models import Kind, Posting, State, Transaction
from waystation.ledger.sums import minor_total


def test_demo_ledger_has_every_kind_one_pending_and_balances(cast):
    cases = (make_case(), make_case())
    demo_ledger(treasurer=cast["treasurer"], approver=cast["coordinator"], cases=cases)
    kinds = set(Transaction.objects.values_list("kind", flat=True))
    assert kinds == set(Kind.values)
    assert Transaction.objects.filter(state=State.PENDING).count() == 1
    assert (
        not Posting.objects.values("transaction", "currency").annotate(t=minor_total()).exclude(t=0)
    )
    figures = selectors.balances(cast["treasurer"])
    held = {account.name: balance for account, balance in figures.accounts}
    assert held["Cash box, Almaty"] == Decimal("70750")
    count = Transaction.objects.get(kind=Kind.CASH_COUNT)
    assert count.amount == Decimal("-500")
    total = selectors.total_in(cast["treasurer"], "EUR", figures.currencies)
    assert total.missing == [] and total.amount > 0
