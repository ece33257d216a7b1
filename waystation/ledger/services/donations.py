"""Money in: donations and pledges, from donors whose names are kept encrypted. A returning
donor is chosen from those already recorded, so donations per donor can be seen."""

from django.db import transaction as db
from django.utils.translation import gettext as _

from waystation.accounts import policy
from waystation.accounts.policy import Perm
from waystation.audit.events import Event
from waystation.audit.services import record

from ..books import LedgerError, Leg, checked_amount, holding, post, system_account
from ..models import Account, Book, Donor, DonorKind, Fund, Kind, Pledge, Transaction


def _new_donor(kind: str, name: str) -> Donor:
    name = (name or "").strip()
    if kind not in DonorKind.values:
        raise LedgerError(_("Choose whether the donor is named, a pseudonym or anonymous."))
    if kind == DonorKind.ANONYMOUS:
        name = ""
    elif not name:
        raise LedgerError(_("Enter the donor's name or pseudonym, or choose anonymous."))
    donor = Donor(kind=kind)
    donor.name = name  # encrypted with the row id, which the UUID gives before the insert
    donor.save()
    return donor


def _donor(donor: Donor | None, kind: str, name: str) -> Donor:
    """The donor chosen from those recorded, or a new one. An anonymous donor is never reused:
    each anonymous gift stays on its own, so nothing links two of them."""
    if donor is None:
        return _new_donor(kind, name)
    if not isinstance(donor, Donor) or donor.kind == DonorKind.ANONYMOUS:
        raise LedgerError(_("Choose a donor from the list, or record a new one."))
    return donor


def pledge_create(
    *,
    actor,
    fund: Fund,
    currency: str,
    amount,
    donor: Donor | None = None,
    donor_kind: str = DonorKind.ANONYMOUS,
    donor_name: str = "",
    due_on=None,
) -> Pledge:
    policy.check(actor, Perm.LEDGER_RECORD)
    amount = checked_amount(amount, currency)
    with db.atomic():
        pledge = Pledge.objects.create(
            donor=_donor(donor, donor_kind, donor_name),
            fund=fund,
            currency=currency,
            amount=amount,
            due_on=due_on,
            created_by=actor,
        )
        record(Event.LEDGER_SET_UP, actor=actor, obj=pledge, data={"currency": currency})
    return pledge


def donation_record(
    *,
    actor,
    account: Account,
    fund: Fund,
    amount,
    date,
    donor: Donor | None = None,
    donor_kind: str = DonorKind.ANONYMOUS,
    donor_name: str = "",
    pledge: Pledge | None = None,
    memo: str = "",
) -> Transaction:
    """Money given into ``account`` for ``fund``, by ``donor`` (one already recorded) or a new
    donor of ``donor_kind``; with ``pledge``, towards that promise (its donor and fund)."""
    policy.check(actor, Perm.LEDGER_RECORD)
    account = holding(account)
    amount = checked_amount(amount, account.currency)
    with db.atomic():
        if pledge is not None:
            if pledge.currency != account.currency:
                raise LedgerError(
                    _("The pledge is in %(currency)s: choose an account in that currency.")
                    % {"currency": pledge.currency}
                )
            donor, fund = pledge.donor, pledge.fund
        else:
            donor = _donor(donor, donor_kind, donor_name)
        return post(
            actor=actor,
            kind=Kind.DONATION,
            date=date,
            fund=fund,
            amount=amount,
            currency=account.currency,
            donor=donor,
            pledge=pledge,
            memo=memo.strip(),
            legs=[
                Leg(account, amount, account.currency),
                Leg(system_account(Book.INCOME), -amount, account.currency),
            ],
        )
