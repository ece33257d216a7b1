from urllib.parse import urlencode

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, can, get_for, requires
from waystation.core.paging import page_of
from waystation.core.spreadsheets.writing import CONTENT_TYPES
from waystation.core.uploads import received_files, use_encrypting_uploads

from . import approval, charts, selectors, services
from .books import LedgerError
from .forms import (
    AccountForm,
    CashCountForm,
    DisbursementForm,
    DonationForm,
    ExchangeForm,
    FulfilForm,
    FundForm,
    JournalFilterForm,
    PeriodForm,
    PledgeForm,
    RateForm,
    ReportForm,
    ReverseForm,
    TransferForm,
)
from .models import Pledge, ReversalDate, State
from .money import is_currency
from .templatetags.ledger import money

PAGE_SIZE = 50
RECEIPT_MAX_MB = 20


def _period(form) -> dict:
    if form.is_bound and form.is_valid():
        return {"since": form.cleaned_data["since"], "until": form.cleaned_data["until"]}
    return {}


def _base_currency(request) -> str:
    code = (request.GET.get("currency") or "").upper()
    if is_currency(code):
        return code
    used = selectors.currencies_in_use(request.user)
    return "EUR" if "EUR" in used or not used else used[0]


@requires(Perm.LEDGER_VIEW)
def overview(request):
    form = PeriodForm(request.GET or None)
    until = _period(form).get("until")
    figures = selectors.balances(request.user, until=until)
    currency = _base_currency(request)
    return render(
        request,
        "ledger/overview.html",
        {
            "figures": figures,
            "total": selectors.total_in(request.user, currency, figures.currencies),
            "currency": currency,
            "currencies": sorted({c for c, _b in figures.currencies} | {currency}),
            "until": until,
            "may_record": can(request.user, Perm.LEDGER_RECORD),
        },
    )


@requires(Perm.LEDGER_VIEW)
def journal(request):
    form = JournalFilterForm(request.GET or None)
    filters = _period(form)
    if form.is_bound and form.is_valid():
        filters.update(kind=form.cleaned_data["kind"], state=form.cleaned_data["state"])
    rows = selectors.journal(request.user, **filters)
    page = page_of(rows, request.GET, size=PAGE_SIZE)
    return render(
        request, "ledger/journal.html", {"form": form, "page": page, "params": page.params}
    )


@requires(Perm.LEDGER_VIEW)
def pending(request):
    page = page_of(selectors.pending_for(request.user), request.GET, size=PAGE_SIZE)
    return render(request, "ledger/pending.html", {"page": page})


def _entry_page(request, entry, status=200):
    return render(
        request,
        "ledger/transaction.html",
        {
            "entry": entry,
            "postings": entry.postings.select_related("account", "fund").order_by("pk"),
            "receipts": entry.receipts.all(),
            "reversals": selectors.reversals_of(entry),
            "may_record": can(request.user, Perm.LEDGER_RECORD),
            "may_decide": (
                entry.state == State.PENDING
                and can(request.user, Perm.LEDGER_APPROVE)
                and entry.created_by_id != request.user.pk
            ),
            "may_reverse": selectors.may_reverse(request.user, entry),
            "may_withdraw": selectors.may_withdraw(request.user, entry),
            "receipt_max_mb": RECEIPT_MAX_MB,
        },
        status=status,
    )


def _entry(request, pk):
    return selectors.transaction_for(request.user, pk)


@requires(Perm.LEDGER_VIEW)
def transaction(request, pk):
    return _entry_page(request, _entry(request, pk))


@require_POST
@requires(Perm.LEDGER_APPROVE)
def decide(request, pk):
    entry = _entry(request, pk)
    try:
        if request.POST.get("decision") == "approve":
            services.disbursement_approve(actor=request.user, entry=entry)
            messages.success(request, _("Approved: the disbursement is now in the balances."))
        elif request.POST.get("decision") == "reject":
            services.disbursement_reject(actor=request.user, entry=entry)
            messages.success(request, _("Rejected: the disbursement stays out of the balances."))
    except LedgerError as error:
        messages.error(request, str(error))
    return redirect("ledger:transaction", pk=entry.pk)


@require_POST
@requires(Perm.LEDGER_RECORD)
def withdraw(request, pk):
    entry = _entry(request, pk)
    try:
        services.disbursement_withdraw(actor=request.user, entry=entry)
    except LedgerError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Withdrawn: it will not be paid, and it stays in the history.")
        )
    return redirect("ledger:transaction", pk=entry.pk)


@requires(Perm.LEDGER_RECORD)
@csrf_exempt  # the upload handler must be in place before CSRF reads the body
def receipt_add(request, pk):
    if request.method == "POST":
        use_encrypting_uploads(request, max_bytes=RECEIPT_MAX_MB * 1024 * 1024, max_files=5)
    return _receipt_add(request, pk)


@csrf_protect
def _receipt_add(request, pk):
    entry = _entry(request, pk)
    if request.method != "POST":
        return redirect("ledger:transaction", pk=entry.pk)
    files, refusals = received_files(request, "receipt")
    for refusal in refusals:
        messages.error(request, refusal)
    if not files and not refusals:
        messages.error(request, _("Choose a file."))
    if services.receipts_add(actor=request.user, entry=entry, files=files):
        messages.success(request, _("Receipt stored, encrypted."))
    return redirect("ledger:transaction", pk=entry.pk)


@requires(Perm.LEDGER_VIEW)
def receipt(request, pk):
    item = selectors.receipt_for(request.user, pk)
    chunks = services.receipt_open(actor=request.user, receipt=item)
    response = StreamingHttpResponse(chunks, content_type=item.media_type)
    name = selectors.receipt_download_name(item)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- recording ---------------------------------------------------------------------------------


def _held_message(entry) -> str:
    """Why a payment just recorded waits, as it is: a payment of 20,000 KZT is not "above the
    threshold" of 250,000 KZT; what the same person paid in the last 24 hours together is."""
    if approval.held_for(entry) == approval.HeldFor.DAY_TOTAL:
        return _(
            "Recorded, waiting for a second approver: together with what you paid out alone in "
            "the last 24 hours, %(total)s, it goes above the threshold of %(threshold)s. It is "
            "not in the balances until someone else approves it."
        ) % {
            "total": money(approval.paid_in_a_day_with(entry), entry.currency),
            "threshold": money(approval.threshold_of(entry.currency), entry.currency),
        }
    return _(
        "Recorded, waiting for a second approver: above the threshold, it is not in the "
        "balances until someone else approves it."
    )


def _submit(request, form):
    """The one way a ledger form is recorded: on a valid POST, the form's service is called as
    the member; a refusal becomes an error on the form, which keeps everything typed. Returns
    what the service wrote, or None (GET, invalid, refused)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return form.save(request.user)
    except LedgerError as error:
        form.add_error(None, str(error))
        return None


def _recorded_message(request, entry) -> None:
    if entry.state == State.PENDING:
        messages.warning(request, _held_message(entry))
    else:
        messages.success(request, _("Recorded."))


def _record(request, form_class, title, *, intro="", extra=None, done=_recorded_message):
    """A page with one ledger form: GET shows it, POST records it through its service and
    goes to the transaction written; errors keep everything typed."""
    form = form_class(request.POST or None, viewer=request.user, extra=extra)
    entry = _submit(request, form)
    if entry is not None:
        done(request, entry)
        return redirect("ledger:transaction", pk=entry.pk)
    return render(
        request,
        "ledger/record.html",
        {"form": form, "title": title, "intro": intro},
        status=400 if form.is_bound and form.errors else 200,
    )


@requires(Perm.LEDGER_RECORD)
def donation_new(request):
    return _record(request, DonationForm, _("Record a donation"))


@requires(Perm.LEDGER_RECORD)
def disbursement_new(request):
    thresholds = ", ".join(
        f"{code} {amount}" for code, amount in sorted(settings.LEDGER_APPROVAL_THRESHOLDS.items())
    )
    intro = _(
        "Above these amounts a disbursement waits for a second approver: %(thresholds)s; in "
        "any other currency, every disbursement does."
    ) % {"thresholds": thresholds}
    return _record(request, DisbursementForm, _("Record a disbursement"), intro=intro)


@requires(Perm.LEDGER_RECORD)
def transfer_new(request):
    return _record(request, TransferForm, _("Record a transfer between accounts"))


@requires(Perm.LEDGER_RECORD)
def exchange_new(request):
    return _record(request, ExchangeForm, _("Record a currency exchange"))


@requires(Perm.LEDGER_RECORD)
def cash_count_new(request):
    intro = _(
        "Count the cash and enter what you counted. The difference from the books is recorded "
        "against the cash-difference account, for the fund you choose."
    )
    return _record(request, CashCountForm, _("Count cash"), intro=intro)


@requires(Perm.LEDGER_RECORD)
def reversal_new(request, pk):
    entry = _entry(request, pk)

    def done(request, reversal):
        if reversal.state == State.PENDING:
            messages.warning(request, _held_message(reversal))
        elif reversal.date == entry.date:
            messages.success(request, _("Reversed, on the original's date."))
        elif request.POST.get("when") == ReversalDate.SAME:
            messages.warning(
                request,
                _(
                    "Reversed, dated today: a cash count of the account on or after the "
                    "original's date has closed that period."
                ),
            )
        else:
            messages.success(request, _("Reversed, dated today."))

    intro = _(
        "Reversing records a new transaction with the opposite postings, linked to this one. "
        "Nothing is deleted: both stay in the journal and in every report."
    )
    title = _("Reverse %(kind)s #%(number)s") % {
        "kind": entry.get_kind_display(),
        "number": entry.pk,
    }
    return _record(request, ReverseForm, title, intro=intro, extra={"entry": entry}, done=done)


# --- pledges -----------------------------------------------------------------------------------


@requires(Perm.LEDGER_VIEW)
def pledges(request):
    page = page_of(selectors.pledges_for(request.user), request.GET, size=PAGE_SIZE)
    rows = [(pledge, selectors.pledge_received(pledge)) for pledge in page]
    form = None
    if can(request.user, Perm.LEDGER_RECORD):
        form = PledgeForm(request.POST or None, viewer=request.user)
        if _submit(request, form) is not None:
            messages.success(request, _("Pledge recorded."))
            return redirect("ledger:pledges")
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "ledger/pledges.html", {"page": page, "rows": rows, "form": form})


@requires(Perm.LEDGER_RECORD)
def pledge_fulfil(request, pk):
    pledge = get_for(request.user, Pledge.objects.select_related("fund"), pk, Perm.LEDGER_VIEW)
    intro = _("Money received towards the pledge of %(amount)s %(currency)s to %(fund)s.") % {
        "amount": pledge.amount,
        "currency": pledge.currency,
        "fund": pledge.fund.name,
    }
    extra = {"pledge": pledge, "fund": pledge.fund}
    return _record(request, FulfilForm, _("Pledge fulfilled"), intro=intro, extra=extra)


@requires(Perm.LEDGER_RECORD)
def donors(request):
    page = page_of(selectors.donations_per_donor(request.user), request.GET, size=PAGE_SIZE)
    return render(request, "ledger/donors.html", {"page": page})


# --- set-up ------------------------------------------------------------------------------------


@requires(Perm.LEDGER_VIEW)
def setup(request):
    fund_form = account_form = None
    if can(request.user, Perm.LEDGER_RECORD):
        which = request.POST.get("form")
        fund_form = FundForm(
            request.POST if which == "fund" else None, viewer=request.user, prefix="fund"
        )
        account_form = AccountForm(
            request.POST if which == "account" else None, viewer=request.user, prefix="account"
        )
        bound = {"fund": fund_form, "account": account_form}.get(which)
        if bound is not None and _submit(request, bound) is not None:
            messages.success(request, _("Saved."))
            return redirect("ledger:setup")
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "ledger/setup.html",
        {
            "funds": selectors.funds_for(request.user),
            "accounts": selectors.accounts_for(request.user),
            "fund_form": fund_form,
            "account_form": account_form,
        },
    )


@requires(Perm.LEDGER_VIEW)
def rates(request):
    form = None
    if can(request.user, Perm.LEDGER_RECORD):
        form = RateForm(request.POST or None, viewer=request.user)
        if _submit(request, form) is not None:
            messages.success(request, _("Rate saved."))
            return redirect("ledger:rates")
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request, "ledger/rates.html", {"rates": selectors.rates_for(request.user), "form": form}
    )


# --- reports -----------------------------------------------------------------------------------


def _report_filters(request):
    data = request.GET.copy()
    data.setdefault("currency", _base_currency(request))
    form = ReportForm(data)
    valid = form.is_valid()
    period = _period(form)
    currency = form.cleaned_data["currency"] if valid else data["currency"]
    if not is_currency(currency):
        currency = "EUR"
    return form, period, currency


@requires(Perm.LEDGER_VIEW)
def reports(request):
    form, period, currency = _report_filters(request)
    months = selectors.monthly(request.user, currency=currency, **period)
    cases = selectors.spending_per_case(request.user, **period)
    case_page = page_of(cases, request.GET, size=PAGE_SIZE)
    query = case_page.params
    return render(
        request,
        "ledger/reports.html",
        {
            "form": form,
            "currency": currency,
            "months": months,
            "converted": selectors.monthly_converted(request.user, currency=currency, **period),
            "categories": selectors.category_totals(months),
            "category_labels": [label for _code, label, _t in selectors.category_totals(months)],
            "case_page": case_page,
            "query": query,
            "params": query,
            "export_query": urlencode(
                {k: v for k in ("since", "until") if (v := request.GET.get(k, ""))}
            ),
        },
    )


# The chart is an image: its own inline <style> (pygal's) is allowed here and nowhere else.
@csp_update({"style-src": ["'unsafe-inline'"]})
@requires(Perm.LEDGER_VIEW)
def chart(request, name):
    _form, period, currency = _report_filters(request)
    months = selectors.monthly(request.user, currency=currency, **period)
    if name == "months":
        svg = charts.income_chart(months, currency)
    elif name == "categories":
        svg = charts.category_chart(months, currency)
    else:
        raise Http404
    return HttpResponse(svg, content_type="image/svg+xml")


@requires(Perm.LEDGER_VIEW)
def export(request):
    fmt = request.GET.get("format", "xlsx")
    if fmt not in CONTENT_TYPES:
        fmt = "xlsx"
    period = _period(PeriodForm(request.GET or None))
    data = services.ledger_export(actor=request.user, fmt=fmt, **period)
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="ledger-{stamp}.{fmt}"'
    return response
