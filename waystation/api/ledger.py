"""Ledger reads through the API, for treasurers and coordinators: balances, the journal and
one transaction. Cases are named by codename only, as on the ledger's pages."""

import datetime as dt

from ninja import Field, Query, Router, Schema

from waystation.accounts.policy import Perm
from waystation.ledger.models import Kind, State
from waystation.ledger.selectors import balances, journal, transaction_for

from .auth import scoped
from .schemas import PageInfo, an_id, paged

router = Router(tags=["ledger"])


class TransactionOut(Schema):
    id: int
    kind: Kind
    state: State
    date: dt.date
    amount: str = Field(..., description="A decimal number, as text")
    currency: str
    fund: str
    category: str
    case: str | None = Field(None, description="The case's codename")
    memo: str


class JournalPage(Schema):
    paging: PageInfo
    results: list[TransactionOut]


class AccountBalance(Schema):
    account: str
    balance: str


class FundBalance(Schema):
    fund: str
    currency: str
    balance: str


class CurrencyBalance(Schema):
    currency: str
    balance: str


class BalancesOut(Schema):
    accounts: list[AccountBalance]
    funds: list[FundBalance]
    currencies: list[CurrencyBalance]
    pending: int


class JournalQuery(Schema):
    since: dt.date | None = None
    until: dt.date | None = None
    kind: Kind | None = None
    state: State | None = None
    page: int = Field(1, ge=1, le=1_000_000)


def _transaction(entry) -> dict:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "state": entry.state,
        "date": entry.date,
        "amount": str(entry.amount),
        "currency": entry.currency,
        "fund": entry.fund.name,
        "category": entry.category,
        "case": entry.case.codename if entry.case_id else None,
        "memo": entry.memo,
    }


@router.get("/balances/", response=BalancesOut, summary="What each account and fund holds")
@scoped(Perm.LEDGER_VIEW)
def ledger_balances(request, until: dt.date | None = None):
    held = balances(request.user, until=until)
    return {
        "accounts": [{"account": str(a), "balance": str(b)} for a, b in held.accounts],
        "funds": [{"fund": str(f), "currency": c, "balance": str(b)} for f, c, b in held.funds],
        "currencies": [{"currency": c, "balance": str(b)} for c, b in held.currencies],
        "pending": held.pending,
    }


@router.get("/journal/", response=JournalPage, summary="The journal, newest first")
@scoped(Perm.LEDGER_VIEW)
def ledger_journal(request, filters: Query[JournalQuery]):
    rows = journal(
        request.user, since=filters.since, until=filters.until,
        kind=filters.kind or "", state=filters.state or "",
    )
    return paged(rows, filters.page, _transaction)


@router.get("/transactions/{int:pk}/", response=TransactionOut, summary="One transaction")
@scoped(Perm.LEDGER_VIEW)
def ledger_transaction(request, pk: int = an_id()):
    return _transaction(transaction_for(request.user, pk))
