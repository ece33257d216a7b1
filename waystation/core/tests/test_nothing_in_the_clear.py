"""Nothing a member or a visitor typed or uploaded is readable in PostgreSQL (issue 27).

The embedded database is SQLCipher, encrypted whole; on PostgreSQL only what the application
encrypts is hidden. This test types a distinct marker into every free-text field of every form
a member or an intake visitor fills in (and uploads files named with markers), commits, runs
``pg_dump`` of the test database and looks for each marker: as typed, in hex, and, for the
uploaded files, as their SHA-256. What stays in the clear on purpose is left out below with
the reason, and listed in docs/security.md ("What PostgreSQL holds").
"""

import hashlib
import os
import subprocess
from itertools import count

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from waystation.cases.models import Case
from waystation.evidence.models import Event, Item, Testimony
from waystation.ledger.models import Account, Fund
from waystation.outreach.models import Approach, Organisation

pytestmark = pytest.mark.postgresql

_numbers = count(1)
_markers: dict[str, str] = {}  # marker -> where it was typed
# Numbers typed where an event happened: none of them may be in the dump either.
COORDINATES = {"evidence: event latitude": "47.813579", "evidence: event longitude": "-35.246813"}


def _marker(where: str) -> str:
    text = f"Zq7Marker{next(_numbers):03d}x"
    _markers[text] = where
    return text


def _posted(client: Client, url: str, data: dict, *, ok=(302,)) -> None:
    answer = client.post(url, data)
    if answer.status_code not in ok:
        context = answer.context or {}
        keys = context.keys()  # a ContextList: iterating it gives contexts, not names
        forms = [context[key] for key in keys if hasattr(context[key], "errors")]
        errors = [form.errors for form in forms if form.errors] or answer.content[-800:]
        raise AssertionError(f"{url} answered {answer.status_code}: {errors}")
    return answer


def _pg_dump() -> str:
    name = connection.settings_dict["NAME"]
    done = subprocess.run(
        ["pg_dump", "--no-owner", "--no-privileges", "-d", name],
        capture_output=True,
        check=True,
        env=os.environ,
    )
    return done.stdout.decode("utf-8", errors="replace")


def _tables(dump: str, text: str) -> str:
    """The tables of the dump whose rows hold the text (for the failure message)."""
    tables = set()
    for section in dump.split("\nCOPY ")[1:]:
        if text in section or text.encode().hex() in section:
            tables.add(section.split(" ", 1)[0])
    return ", ".join(sorted(tables)) or "elsewhere"


def _visitor_sends(city, languages, text, file_name, file_bytes):
    visitor = Client()
    _posted(
        visitor,
        reverse("intake:new"),
        {
            "urgency": "transit",
            "country": "KZ",
            "city": city,
            "languages": languages,
            "help_needed": ["lawyer"],
            "people_with": "1",
            "text": text,
            "files": [SimpleUploadedFile(file_name, file_bytes, content_type="text/plain")],
        },
        ok=(200,),
    )
    _posted(visitor, reverse("intake:reply"), {"text": _marker("intake: visitor's reply")})


# Forms left out, each for its reason (docs/security.md, "What PostgreSQL holds"):
# - sign-in, invitations and roles (accounts): usernames are looked up at sign-in, display
#   names are shown to every member; passwords and TOTP secrets are hashed or encrypted.
# - the outreach directory's organisation names, known names, city and website: public bodies,
#   searched, sorted and de-duplicated by name (the notes typed about them are tested).
# - ledger fund and account names (bookkeeping labels, unique and sorted), amounts.
# - partners: a partner's name and card (public keys); packages are age-encrypted files.
# - knowledge pages: guidance for the group, some published on the intake portal.
# - screening, proposals, testimony addenda, handback notes: encrypted on both databases
#   (EncryptedTextField) since they were made; the item, testimony and handover forms here
#   stand for that field.


def test_pg_dump_holds_nothing_typed_or_uploaded(transactional_db, cast, client_for):
    uploaded: dict[str, bytes] = {}  # marker -> the bytes of a file uploaded with it

    # -- intake portal (the anonymous visitor) -------------------------------------------------
    attachment = f"{_marker('intake: attachment name')}.txt".encode()
    uploaded["intake attachment"] = b"intake attachment " + attachment
    _visitor_sends(
        _marker("intake: city"),
        _marker("intake: languages"),
        _marker("intake: request text"),
        attachment.decode(),
        uploaded["intake attachment"],
    )

    coordinator = client_for("coordinator")
    officer = client_for("documentation_officer")
    treasurer = client_for("treasurer")

    # -- a case (cases: helper 3's fields) ---------------------------------------------------
    codename = "amber-falcon-27"
    _posted(
        coordinator,
        reverse("cases:new"),
        {
            "codename": codename,
            "status": "in_origin",
            "urgency": "2",
            "city": _marker("case: city"),
            "summary": _marker("case: summary"),
            "caseworker": str(cast["caseworker"].pk),
            "lawyer": str(cast["lawyer"].pk),
        },
    )
    case = Case.objects.get(codename=codename)
    _posted(
        coordinator,
        reverse("cases:add", args=[case.pk, "note"]),
        {"note-text": _marker("case: note")},
    )

    _posted(
        coordinator,
        reverse("cases:edit", args=[case.pk]),
        {
            "urgency": "2",
            "languages": _marker("case: languages"),
            "city": _marker("case: city, edited"),
            "summary": _marker("case: summary, edited"),
        },
    )
    sections = {
        "status": {"status": "detained", "on": "2026-11-01", "note": _marker("case: status note")},
        "risk": {
            "kind": "detention",
            "on": "2026-11-01",
            "place": _marker("case: risk place"),
            "visits": _marker("case: risk visits"),
            "outcome": _marker("case: risk outcome"),
        },
        "document": {
            "kind": "military_id",
            "state": "held",
            "note": _marker("case: document note"),
        },
        "task": {"title": _marker("case: task title"), "due_on": "2026-12-20"},
        "family": {"relation": _marker("case: family relation"), "note": _marker("case: family")},
        "need": {"kind": "lawyer", "note": _marker("case: need note")},
    }
    for section, fields in sections.items():
        data = {f"{section}-{name}": value for name, value in fields.items()}
        _posted(coordinator, reverse("cases:add", args=[case.pk, section]), data)
    _posted(
        coordinator,
        reverse("cases:identity_save", args=[case.pk]),
        {
            "legal_name": _marker("case: legal name"),
            "callsign": _marker("case: callsign"),
            "phone": _marker("case: phone"),
            "address": _marker("case: address"),
        },
    )

    # -- evidence ------------------------------------------------------------------------------
    item_name = f"{_marker('evidence: file name')}.txt"
    uploaded["evidence item"] = f"evidence item {item_name}".encode()
    _posted(
        officer,
        reverse("evidence:item_new"),
        {
            "case": codename,
            "files": [SimpleUploadedFile(item_name, uploaded["evidence item"])],
            "acquired_on": "2026-11-20",
            "acquired_how": "in_person",
            "acquired_from": _marker("evidence: acquired from"),
            "description": _marker("evidence: item description"),
            "origin": "open",
        },
    )
    item = Item.objects.get()
    _posted(
        officer,
        reverse("evidence:item_handover", args=[item.pk]),
        {"with_whom": _marker("evidence: handover to"), "how": _marker("evidence: handover how")},
    )
    _posted(
        officer,
        reverse("evidence:event_new"),
        {
            "act_type": "torture",
            "title": _marker("evidence: event title"),
            "date_from": "2026-03-01",
            "date_certainty": "exact",
            "place": _marker("evidence: event place"),
            "latitude": COORDINATES["evidence: event latitude"],
            "longitude": COORDINATES["evidence: event longitude"],
            "victims_count": "1",
            "victims_kind": _marker("evidence: victims"),
            "perpetrator_unit": _marker("evidence: perpetrator unit"),
            "perpetrator_rank": _marker("evidence: perpetrator rank"),
            "perpetrator_names": _marker("evidence: perpetrator names"),
            "description": _marker("evidence: event description"),
        },
    )
    event = Event.objects.get()
    assert str(event.latitude) == COORDINATES["evidence: event latitude"]
    _posted(
        officer,
        reverse("evidence:testimony_new"),
        {
            "case": codename,
            "interviewed_on": "2026-11-21",
            "interviewer": str(cast["documentation_officer"].pk),
            "interpreter": _marker("evidence: interpreter"),
            "language": _marker("evidence: statement language"),
            "statement": _marker("evidence: statement"),
            "event": str(event.pk),
            "role": "direct",
            "consent_scope": ["court"],
            "consent_body": _marker("evidence: consent body"),
        },
    )
    assert Testimony.objects.count() == 1

    # -- outreach ------------------------------------------------------------------------------
    _posted(
        coordinator,
        reverse("outreach:organisation_new"),
        {
            # The organisation's name, city and website stay in the clear (docs/security.md):
            # a directory of public bodies, searched, sorted and de-duplicated by name.
            "name": "Embassy of Germany, Astana",
            "kind": "embassy",
            "country": "KZ",
            "city": "Astana",
            "notes": _marker("outreach: organisation notes"),
        },
    )
    embassy = Organisation.objects.get()
    _posted(
        coordinator,
        reverse("outreach:contact_add", args=[embassy.pk]),
        {
            "name": _marker("outreach: contact name"),
            "role": _marker("outreach: contact role"),
            "addresses": _marker("outreach: contact addresses"),
        },
    )
    _posted(
        coordinator,
        reverse("outreach:approach_new", args=[embassy.pk]),
        {
            "date": "2026-11-02",
            "channel": "email",
            "contact_name": _marker("outreach: approach contact"),
            "subject": _marker("outreach: approach subject"),
            "summary": _marker("outreach: approach summary"),
            "case": codename,
        },
    )
    approach = Approach.objects.get()
    _posted(
        coordinator,
        reverse("outreach:response_new", args=[approach.pk]),
        {
            f"r{approach.pk}-kind": "declined",
            f"r{approach.pk}-date": "2026-11-03",
            f"r{approach.pk}-text": _marker("outreach: response text"),
        },
    )
    import_name = f"{_marker('outreach: import file name')}.csv"
    _posted(
        coordinator,
        reverse("outreach:import"),
        {"file": SimpleUploadedFile(import_name, b"name,kind\nSome office,ngo\n")},
    )

    # -- pathways ------------------------------------------------------------------------------
    _posted(
        coordinator,
        reverse("pathways:case_choose", args=[case.pk]),
        {"choose-pathway": "de-aufenthg-22", "choose-note": _marker("pathways: choice note")},
    )

    # -- ledger --------------------------------------------------------------------------------
    # A fund's and an account's names stay in the clear (docs/security.md): the group's own
    # bookkeeping labels, unique, chosen from lists and sorted by the database.
    _posted(
        treasurer,
        reverse("ledger:setup"),
        {"form": "fund", "fund-name": "General", "fund-purpose": _marker("ledger: fund purpose")},
    )
    _posted(
        treasurer,
        reverse("ledger:setup"),
        {
            "form": "account",
            "account-name": "Cash",
            "account-kind": "cash",
            "account-currency": "EUR",
        },
    )
    _posted(
        treasurer,
        reverse("ledger:donation_new"),
        {
            "account": str(Account.objects.get().pk),
            "fund": str(Fund.objects.get().pk),
            "date": "2026-11-10",
            "donor_kind": "pseudonym",
            "donor_name": _marker("ledger: donor name"),
            "amount": "10.00",
            "memo": _marker("ledger: memo"),
        },
    )

    # -- api tokens ----------------------------------------------------------------------------
    _posted(
        coordinator,
        reverse("api_tokens:list"),
        {"name": _marker("api: token name"), "scopes": ["signed_in"], "days": "30"},
        ok=(200,),
    )

    dump = _pg_dump()
    found = sorted(
        f"{where} ({_tables(dump, marker)})"
        for marker, where in _markers.items()
        if marker in dump or marker.encode().hex() in dump
    )
    found += [
        f"{where} ({_tables(dump, number)})"
        for where, number in COORDINATES.items()
        if number.lstrip("-") in dump
    ]
    found += [
        f"the SHA-256 of the {what} ({_tables(dump, digest)})"
        for what, data in uploaded.items()
        if (digest := hashlib.sha256(data).hexdigest()) in dump
    ]
    assert not found, f"in the clear in pg_dump: {found}"
