"""Writes to the ledger, one module per kind of transaction. Every public function here takes
the acting member as ``actor`` and checks the permission first (``policy.check``), writes the
transaction with its postings in one database transaction, and records the audit event in the
same one. Every transaction is refused unless its postings sum to zero in each currency
(``books.post``): the books balance by construction, not by habit.

Refusals are ``books.LedgerError`` (a ``core.refusals.Refusal``); the four-eyes rule is in
``approval``."""

from .disbursements import (
    disbursement_approve,
    disbursement_record,
    disbursement_reject,
    disbursement_withdraw,
)
from .donations import donation_record, pledge_create
from .movements import cash_count_record, exchange_record, transfer_record
from .receipts import ledger_export, receipt_add, receipt_open, receipts_add
from .reversals import transaction_reverse
from .setup import account_create, fund_create, rate_set

__all__ = [
    "account_create",
    "cash_count_record",
    "disbursement_approve",
    "disbursement_record",
    "disbursement_reject",
    "disbursement_withdraw",
    "donation_record",
    "exchange_record",
    "fund_create",
    "ledger_export",
    "pledge_create",
    "rate_set",
    "receipt_add",
    "receipt_open",
    "receipts_add",
    "transaction_reverse",
    "transfer_record",
]
