from urllib.parse import urlencode

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, can, get_for, requires
from waystation.core.spreadsheets.writing import CONTENT_TYPES
from waystation.core.uploads import received_files, use_encrypting_uploads

from . import charts, selectors, services
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
    TransferForm,
)
from .models import Pledge, Receipt, State, Transaction
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
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "ledger/journal.html",
        {"form": form, "page": page, "params": params.urlencode()},
    )


@requires(Perm.LEDGER_VIEW)
def pending(request):
    page = Paginator(selectors.pending_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "ledger/pending.html", {"page": page})


def _entry_page(request, entry, status=200):
    return render(
        request,
        "ledger/transaction.html",
        {
            "entry": entry,
            "postings": entry.postings.select_related("account", "fund").order_by("pk"),
            "receipts": entry.receipts.all(),
            "may_record": can(request.user, Perm.LEDGER_RECORD),
            "may_decide": (
                entry.state == State.PENDING
                and can(request.user, Perm.LEDGER_APPROVE)
                and entry.created_by_id != request.user.pk
            ),
            "receipt_max_mb": RECEIPT_MAX_MB,
        },
        status=status,
    )


def _entry(request, pk):
    queryset = Transaction.objects.select_related("fund", "case", "donor", "created_by")
    return get_for(request.user, queryset, pk, Perm.LEDGER_VIEW)


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
    except services.LedgerError as error:
        messages.error(request, str(error))
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
    for received in files:
        services.receipt_add(actor=request.user, entry=entry, received=received)
        received.keep()
    if files:
        messages.success(request, _("Receipt stored, encrypted."))
    return redirect("ledger:transaction", pk=entry.pk)


@requires(Perm.LEDGER_VIEW)
def receipt(request, pk):
    item = get_for(request.user, Receipt.objects.all(), pk, Perm.LEDGER_VIEW)
    chunks = services.receipt_open(actor=request.user, receipt=item)
    response = StreamingHttpResponse(chunks, content_type=item.media_type)
    extension = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
    name = f"receipt-{item.pk}{extension.get(item.media_type, '')}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- recording ---------------------------------------------------------------------------------


def _held_message(entry) -> str:
    """Why a payment just recorded waits, as it is: a payment of 20,000 KZT is not "above the
    threshold" of 250,000 KZT; what the same person paid in the last 24 hours together is."""
    if services.held_for(entry) == services.HeldFor.DAY_TOTAL:
        return _(
            "Recorded, waiting for a second approver: together with what you paid out alone in "
            "the last 24 hours, %(total)s, it goes above the threshold of %(threshold)s. It is "
            "not in the balances until someone else approves it."
        ) % {
            "total": money(services.paid_in_a_day_with(entry), entry.currency),
            "threshold": money(services.threshold_of(entry.currency), entry.currency),
        }
    return _(
        "Recorded, waiting for a second approver: above the threshold, it is not in the "
        "balances until someone else approves it."
    )


def _record(request, form_class, write, title, *, initial=None, intro=""):
    """A form page that calls ``write(cleaned_data)``; errors keep everything typed."""
    form = form_class(request.POST or None, viewer=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            entry = write(form.cleaned_data)
        except services.LedgerError as error:
            form.add_error(None, str(error))
        else:
            if entry.state == State.PENDING:
                messages.warning(request, _held_message(entry))
            else:
                messages.success(request, _("Recorded."))
            return redirect("ledger:transaction", pk=entry.pk)
    return render(
        request,
        "ledger/record.html",
        {"form": form, "title": title, "intro": intro},
        status=400 if form.is_bound and form.errors else 200,
    )


@requires(Perm.LEDGER_RECORD)
def donation_new(request):
    def write(data):
        return services.donation_record(
            actor=request.user,
            account=data["account"],
            fund=data["fund"],
            amount=data["amount"],
            date=data["date"],
            donor_kind=data["donor_kind"],
            donor_name=data["donor_name"],
            memo=data["memo"],
        )

    return _record(request, DonationForm, write, _("Record a donation"))


@requires(Perm.LEDGER_RECORD)
def disbursement_new(request):
    def write(data):
        return services.disbursement_record(
            actor=request.user,
            account=data["account"],
            fund=data["fund"],
            amount=data["amount"],
            date=data["date"],
            category=data["category"],
            case=data["codename"],
            memo=data["memo"],
        )

    thresholds = ", ".join(
        f"{code} {amount}" for code, amount in sorted(settings.LEDGER_APPROVAL_THRESHOLDS.items())
    )
    intro = _(
        "Above these amounts a disbursement waits for a second approver: %(thresholds)s; in "
        "any other currency, every disbursement does."
    ) % {"thresholds": thresholds}
    return _record(request, DisbursementForm, write, _("Record a disbursement"), intro=intro)


@requires(Perm.LEDGER_RECORD)
def transfer_new(request):
    def write(data):
        return services.transfer_record(
            actor=request.user,
            source=data["source"],
            target=data["target"],
            fund=data["fund"],
            amount=data["amount"],
            date=data["date"],
            memo=data["memo"],
        )

    return _record(request, TransferForm, write, _("Record a transfer between accounts"))


@requires(Perm.LEDGER_RECORD)
def exchange_new(request):
    def write(data):
        return services.exchange_record(
            actor=request.user,
            source=data["source"],
            target=data["target"],
            fund=data["fund"],
            sold=data["sold"],
            bought=data["bought"],
            date=data["date"],
            memo=data["memo"],
        )

    return _record(request, ExchangeForm, write, _("Record a currency exchange"))


@requires(Perm.LEDGER_RECORD)
def cash_count_new(request):
    def write(data):
        return services.cash_count_record(
            actor=request.user,
            account=data["account"],
            fund=data["fund"],
            counted=data["counted"],
            date=data["date"],
            memo=data["memo"],
        )

    intro = _(
        "Count the cash and enter what you counted. The difference from the books is recorded "
        "against the cash-difference account, for the fund you choose."
    )
    return _record(request, CashCountForm, write, _("Count cash"), intro=intro)


# --- pledges -----------------------------------------------------------------------------------


@requires(Perm.LEDGER_VIEW)
def pledges(request):
    page = Paginator(selectors.pledges_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(pledge, selectors.pledge_received(pledge)) for pledge in page]
    form = None
    if can(request.user, Perm.LEDGER_RECORD):
        form = PledgeForm(request.POST or None, viewer=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.pledge_create(
                    actor=request.user,
                    donor_kind=data["donor_kind"],
                    donor_name=data["donor_name"],
                    fund=data["fund"],
                    currency=data["currency"],
                    amount=data["amount"],
                    due_on=data["due_on"],
                )
            except services.LedgerError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Pledge recorded."))
                return redirect("ledger:pledges")
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "ledger/pledges.html", {"page": page, "rows": rows, "form": form})


@requires(Perm.LEDGER_RECORD)
def pledge_fulfil(request, pk):
    pledge = get_for(request.user, Pledge.objects.select_related("fund"), pk, Perm.LEDGER_VIEW)

    def write(data):
        return services.donation_record(
            actor=request.user,
            account=data["account"],
            fund=pledge.fund,
            amount=data["amount"],
            date=data["date"],
            pledge=pledge,
        )

    intro = _("Money received towards the pledge of %(amount)s %(currency)s to %(fund)s.") % {
        "amount": pledge.amount,
        "currency": pledge.currency,
        "fund": pledge.fund.name,
    }
    return _record(request, FulfilForm, write, _("Pledge fulfilled"), intro=intro)


# --- set-up ------------------------------------------------------------------------------------


@requires(Perm.LEDGER_VIEW)
def setup(request):
    fund_form = account_form = None
    if can(request.user, Perm.LEDGER_RECORD):
        which = request.POST.get("form")
        fund_form = FundForm(request.POST if which == "fund" else None, prefix="fund")
        account_form = AccountForm(request.POST if which == "account" else None, prefix="account")
        bound = {"fund": fund_form, "account": account_form}.get(which)
        if request.method == "POST" and bound is not None and bound.is_valid():
            try:
                if which == "fund":
                    services.fund_create(actor=request.user, **bound.cleaned_data)
                else:
                    services.account_create(actor=request.user, **bound.cleaned_data)
            except services.LedgerError as error:
                bound.add_error(None, str(error))
            else:
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
        form = RateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.rate_set(actor=request.user, **form.cleaned_data)
            except services.LedgerError as error:
                form.add_error(None, str(error))
            else:
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
    case_page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    query = params.urlencode()
    return render(
        request,
        "ledger/reports.html",
        {
            "form": form,
            "currency": currency,
            "months": months,
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
