"""The ledger's pages and exports as treasurers, coordinators and everyone else see them."""

import io
import re
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from waystation.audit.models import AuditEvent
from waystation.cases import services as case_services
from waystation.cases.tests.factories import make_case
from waystation.core.blobstore import blob_store
from waystation.ledger import services
from waystation.ledger.models import Category, Receipt, State, Transaction

from .factories import make_books

D = Decimal
DAY = date(2026, 3, 10)
IDENTITY = {
    "legal_name": "Ivan Sekretnyj-Familienname",
    "transliteration": "Ivan Secretsurname",
    "birth_date": "1993-04-17",
    "phone": "+7 701 555 0199",
    "document_numbers": "AB1234567",
    "address": "Abay avenue 150, flat 77",
}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def books(cast):
    return make_books(cast["treasurer"])


@pytest.fixture
def case_with_identity(cast):
    case = make_case(caseworker=cast["caseworker"], city="Almaty")
    case_services.identity_save(actor=cast["coordinator"], case=case, **IDENTITY)
    return case


@pytest.fixture
def filled(cast, books, case_with_identity, settings):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "500", "RUB": "50000", "KZT": "250000"}
    t = cast["treasurer"]
    services.donation_record(
        actor=t,
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("1000"),
        date=DAY,
        donor_kind="pseudonym",
        donor_name="Friend in Riga",
    )
    lawyer = services.disbursement_record(
        actor=t,
        account=books["cash_eur"],
        fund=books["detention"],
        amount=D("300"),
        date=DAY,
        category=Category.LAWYER,
        case=case_with_identity,
        memo='=HYPERLINK("http://x")',
    )
    services.disbursement_record(
        actor=t,
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("700"),
        date=DAY,
        category=Category.RENT,
        case=case_with_identity,
    )
    services.rate_set(actor=t, currency="EUR", quote="RUB", rate=D("100"))
    return lawyer


def _page_urls(entry):
    names = [
        "overview",
        "journal",
        "pending",
        "donation_new",
        "disbursement_new",
        "transfer_new",
        "exchange_new",
        "cash_count_new",
        "pledges",
        "setup",
        "rates",
        "reports",
    ]
    urls = [reverse(f"ledger:{name}") for name in names]
    urls += [
        reverse("ledger:transaction", args=[entry.pk]),
        reverse("ledger:chart", args=["months"]) + "?currency=EUR",
        reverse("ledger:chart", args=["categories"]) + "?currency=EUR",
        reverse("ledger:reports") + "?currency=EUR&since=2026-01-01&until=2026-12-31",
    ]
    return urls


def _export_text(client, fmt):
    response = client.get(reverse("ledger:export"), {"format": fmt})
    assert response.status_code == 200
    data = response.content
    if fmt == "csv":
        return data.decode("utf-8")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def test_a_treasurer_never_receives_identity_data(client_for, filled, case_with_identity):
    client = client_for("treasurer")
    seen = []
    for url in _page_urls(filled):
        response = client.get(url)
        assert response.status_code == 200, url
        seen.append(response.content.decode())
    for fmt in ("csv", "xlsx", "ods"):
        seen.append(_export_text(client, fmt))
    everything = "\n".join(seen)
    assert case_with_identity.codename in everything
    for value in IDENTITY.values():
        assert value not in everything
    for fragment in ("Sekretnyj", "Secretsurname", "17.04.1993", "555 0199", "AB1234567", "Abay"):
        assert fragment not in everything
    assert not AuditEvent.objects.filter(event="identity.revealed").exists()


@pytest.mark.parametrize("who", ["caseworker", "lawyer", "screener", "documentation_officer"])
def test_others_are_refused_every_ledger_page(client_for, filled, who):
    client = client_for(who)
    for url in [*_page_urls(filled), reverse("ledger:export") + "?format=csv"]:
        assert client.get(url).status_code == 403, url
    assert (
        client.post(reverse("ledger:decide", args=[filled.pk]), {"decision": "approve"}).status_code
        == 403
    )


def test_coordinator_sees_and_approves_but_does_not_record(client_for, cast, books, settings):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "100"}
    entry = services.disbursement_record(
        actor=cast["treasurer"],
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("250"),
        date=DAY,
        category=Category.MEDICAL,
    )
    treasurer = client_for("treasurer")
    page = treasurer.get(reverse("ledger:transaction", args=[entry.pk])).content.decode()
    assert 'value="approve"' not in page  # never offered to the one who recorded it
    treasurer.post(reverse("ledger:decide", args=[entry.pk]), {"decision": "approve"})
    entry.refresh_from_db()
    assert entry.state == State.PENDING
    coordinator = client_for("coordinator")
    assert coordinator.get(reverse("ledger:overview")).status_code == 200
    assert coordinator.get(reverse("ledger:donation_new")).status_code == 403
    for name in ("setup", "rates", "pledges"):
        assert coordinator.post(reverse(f"ledger:{name}"), {"form": "fund"}).status_code == 403
    page = coordinator.get(reverse("ledger:transaction", args=[entry.pk])).content.decode()
    assert 'value="approve"' in page
    coordinator.post(reverse("ledger:decide", args=[entry.pk]), {"decision": "approve"})
    entry.refresh_from_db()
    assert entry.state == State.POSTED and entry.decided_by == cast["coordinator"]


def test_too_many_decimals_refused_with_a_clear_message_and_input_kept(client_for, books):
    client = client_for("treasurer")
    response = client.post(
        reverse("ledger:donation_new"),
        {
            "account": books["cash_eur"].pk,
            "fund": books["general"].pk,
            "amount": "12.345",
            "date": "2026-03-10",
            "donor_kind": "pseudonym",
            "donor_name": "Night owl",
            "memo": "from the concert",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "EUR amounts have at most 2 decimal places; 12.345 has more." in page
    assert 'value="12.345"' in page and 'value="Night owl"' in page
    assert 'value="from the concert"' in page
    assert not Transaction.objects.exists()
    response = client.post(
        reverse("ledger:donation_new"),
        {
            "account": books["cash_eur"].pk,
            "fund": books["general"].pk,
            "amount": "12,34",
            "date": "2026-03-10",
            "donor_kind": "anonymous",
        },
    )
    assert response.status_code == 302
    assert Transaction.objects.get().amount == D("12.34")


def test_disbursement_by_form_for_a_codename(client_for, books, case_with_identity, settings):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "100"}
    client = client_for("treasurer")
    data = {
        "account": books["cash_eur"].pk,
        "fund": books["general"].pk,
        "amount": "150",
        "date": "2026-03-10",
        "category": "parcels",
        "codename": "no-such-case-1",
    }
    response = client.post(reverse("ledger:disbursement_new"), data)
    assert "No case has this codename." in response.content.decode()
    data["codename"] = case_with_identity.codename.upper()
    response = client.post(reverse("ledger:disbursement_new"), data, follow=True)
    entry = Transaction.objects.get()
    assert entry.case == case_with_identity and entry.state == State.PENDING
    assert "waiting for a second approver" in response.content.decode()


def test_receipts_are_stored_encrypted_and_downloads_audited(client_for, cast, filled):
    client = client_for("treasurer")
    secret = b"Receipt: rent for March, flat key handed over. " * 20
    upload = io.BytesIO(secret)
    upload.name = "Ivanov rent.txt"
    response = client.post(reverse("ledger:receipt_add", args=[filled.pk]), {"receipt": upload})
    assert response.status_code == 302
    receipt = Receipt.objects.get()
    raw = (
        b"".join(path.read_bytes() for path in blob_store().root.rglob("*") if path.is_file())
        if hasattr(blob_store(), "root")
        else b""
    )
    assert raw and secret[:40] not in raw
    assert AuditEvent.objects.filter(event="ledger.receipt_added").count() == 1
    page = client.get(reverse("ledger:transaction", args=[filled.pk])).content.decode()
    assert "Ivanov" not in page
    download = client.get(reverse("ledger:receipt", args=[receipt.pk]))
    assert b"".join(download.streaming_content) == secret
    assert "Ivanov" not in download["Content-Disposition"]
    read = AuditEvent.objects.get(event="ledger.receipt_read")
    assert read.actor_id == cast["treasurer"].pk and read.object_id == str(receipt.pk)
    assert (
        client_for("caseworker").get(reverse("ledger:receipt", args=[receipt.pk])).status_code
        == 403
    )


def test_exports_are_formula_safe_in_every_format(client_for, filled):
    client = client_for("treasurer")
    csv_text = _export_text(client, "csv")
    assert "'=HYPERLINK" in csv_text
    assert re.search(r"(?m)^[^\n]*,=HYPERLINK", csv_text) is None
    for fmt in ("xlsx", "ods"):
        text = _export_text(client, fmt)
        assert "'=HYPERLINK" in text
        assert "<f>" not in text and "table:formula" not in text
    assert AuditEvent.objects.filter(event="ledger.exported").count() == 3


def test_report_totals_match_a_hand_computed_set(client_for, cast, books, settings):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "10000", "RUB": "1000000", "KZT": "1000000"}
    t = cast["treasurer"]
    g, d = books["general"], books["detention"]
    services.donation_record(
        actor=t, account=books["cash_eur"], fund=g, amount=D("100.10"), date=date(2026, 1, 5)
    )
    services.donation_record(
        actor=t, account=books["card_eur"], fund=d, amount=D("200.20"), date=date(2026, 1, 20)
    )
    services.donation_record(
        actor=t, account=books["cash_eur"], fund=g, amount=D("0.01"), date=date(2026, 2, 1)
    )
    services.donation_record(
        actor=t, account=books["cash_rub"], fund=g, amount=D("5000"), date=date(2026, 2, 2)
    )
    services.disbursement_record(
        actor=t,
        account=books["cash_eur"],
        fund=g,
        amount=D("30.03"),
        date=date(2026, 1, 7),
        category="food",
    )
    services.disbursement_record(
        actor=t,
        account=books["card_eur"],
        fund=d,
        amount=D("50"),
        date=date(2026, 2, 8),
        category="lawyer",
    )
    services.disbursement_record(
        actor=t,
        account=books["cash_eur"],
        fund=g,
        amount=D("10.07"),
        date=date(2026, 2, 9),
        category="food",
    )
    services.exchange_record(
        actor=t,
        source=books["card_eur"],
        target=books["card_kzt"],
        fund=d,
        sold=D("100"),
        bought=D("52000"),
        date=date(2026, 2, 10),
    )
    services.rate_set(actor=t, currency="EUR", quote="RUB", rate=D("100"))
    services.rate_set(actor=t, currency="KZT", quote="EUR", rate=D("0.002"))
    client = client_for("treasurer")
    from waystation.ledger import selectors

    figures = selectors.balances(t)
    assert dict(figures.currencies) == {"EUR": D("110.21"), "RUB": D("5000"), "KZT": D("52000")}
    # 110.21 + 5000/100 + 52000*0.002 = 264.21
    assert selectors.total_in(t, "EUR", figures.currencies).amount == D("264.21")
    assert selectors.total_in(t, "RUB", figures.currencies).amount == D("26421.00")
    funds = {(f.name, c): b for f, c, b in figures.funds}
    assert funds == {
        ("General", "EUR"): D("60.01"),
        ("General", "RUB"): D("5000"),
        ("Detention support", "EUR"): D("50.20"),
        ("Detention support", "KZT"): D("52000"),
    }
    months = selectors.monthly(t, currency="EUR")
    assert [(m.month, m.income, m.spent, m.spending) for m in months] == [
        (date(2026, 1, 1), D("300.30"), D("30.03"), {"food": D("30.03")}),
        (date(2026, 2, 1), D("0.01"), D("60.07"), {"lawyer": D("50"), "food": D("10.07")}),
    ]
    feb = selectors.monthly(t, currency="EUR", since=date(2026, 2, 1))
    assert len(feb) == 1 and feb[0].spent == D("60.07")
    page = client.get(reverse("ledger:overview"), {"currency": "EUR"}).content.decode()
    assert "264.21 EUR" in page.replace("\xa0", " ").replace(",", "")
    report = client.get(reverse("ledger:reports"), {"currency": "EUR"}).content.decode()
    assert "300.30 EUR" in report.replace(",", "") and "60.07 EUR" in report.replace(",", "")
    svg = client.get(reverse("ledger:chart", args=["categories"]), {"currency": "EUR"})
    assert svg["Content-Type"] == "image/svg+xml" and b"<script" not in svg.content


def test_spending_per_case_by_codename(client_for, filled, case_with_identity):
    from waystation.ledger import selectors

    rows = selectors.spending_per_case(filled.created_by)
    assert rows == [(case_with_identity.codename, "EUR", D("300"), 1)]  # the 700 still waits
    page = client_for("treasurer").get(reverse("ledger:reports")).content.decode()
    assert case_with_identity.codename in page


def test_setup_pages_create_funds_accounts_and_rates(client_for):
    client = client_for("treasurer")
    client.post(reverse("ledger:setup"), {"form": "fund", "fund-name": "Legal fees"})
    response = client.post(
        reverse("ledger:setup"),
        {
            "form": "account",
            "account-name": "Wallet",
            "account-kind": "crypto",
            "account-currency": "USD",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("ledger:setup")).content.decode()
    assert "Legal fees" in page and "Wallet" in page
    assert "seed phrase" in page  # the form says what never to store
    client.post(
        reverse("ledger:rates"),
        {"currency": "USD", "quote": "EUR", "rate": "0.9", "as_of": "2026-03-01"},
    )
    assert "0.9 EUR" in client.get(reverse("ledger:rates")).content.decode()


def test_currencies_offered_are_those_in_use_named_in_the_readers_language(client_for):
    client = client_for("treasurer")
    english = client.get(reverse("ledger:reports")).content.decode()
    assert '<option value="KZT">KZT — Kazakhstani Tenge</option>' in english
    # Pesetas and schillings are in the ISO registry, but nobody keeps money in them now.
    assert 'value="ADP"' not in english and 'value="ATS"' not in english
    client.cookies["ws_language"] = "ru"
    russian = client.get(reverse("ledger:reports")).content.decode()
    assert '<option value="KZT">KZT — казахский тенге</option>' in russian
