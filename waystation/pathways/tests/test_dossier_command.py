"""`waystation dossier build` and the age recipient: the command makes the same PDF and ZIP as
the dossier page, through the same exit gate, as its own system actor; every refusal is one
line and a non-zero exit with nothing written; a dossier encrypted to an age key opens with
the matching identity only, from the command line and from the page."""

import io
import re
import zipfile
from io import StringIO

import pyrage
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.evidence.models import CustodyAction, CustodyEntry, Recipient
from waystation.pathways.management.commands.dossier import Command

from .dossier_data import LEGAL_NAME, PHOTO, SCAN, STATEMENT, body, flat, make, pdf_text, url

pytestmark = pytest.mark.django_db

PATHWAY = "de-aufenthg-22"


@pytest.fixture
def outdir(tmp_path):
    """Where the dossiers go: beside the test's blob store, not in it."""
    made = tmp_path / "out"
    made.mkdir()
    return made


def build(case, out, *args) -> str:
    printed = StringIO()
    call_command(
        "dossier",
        "build",
        case.codename,
        "--pathway",
        PATHWAY,
        "--out",
        str(out),
        *args,
        stdout=printed,
    )
    return printed.getvalue()


def refusal(case_or_codename, out, *args) -> str:
    codename = getattr(case_or_codename, "codename", case_or_codename)
    with pytest.raises(CommandError) as refused:
        call_command(
            "dossier",
            "build",
            codename,
            "--pathway",
            PATHWAY,
            "--out",
            str(out),
            *args,
            stdout=StringIO(),
        )
    assert refused.value.returncode != 0
    message = str(refused.value)
    assert "\n" not in message and message
    return message


def without_who_and_ids(text: str) -> str:
    """The PDF's text less what differs between two builds: who prepared it."""
    text = text.replace("the command line, on the server", "WHO").replace("lawyer", "WHO")
    return flat(text)


def test_the_command_builds_the_pdf_the_page_builds(
    client_for, cast, case, items, testimony, outdir
):
    chosen = ["--recipient", "ngo", "--testimony", str(testimony.pk)]
    for item in items:
        chosen += ["--item", str(item.pk)]
    out = outdir / "dossier.pdf"
    said = build(case, out, *chosen)
    assert said.strip().startswith("dossier ") and str(out) in said
    assert out.stat().st_mode & 0o077 == 0  # readable by its owner only
    text = flat(pdf_text(out.read_bytes()))
    assert case.codename in text and STATEMENT in text
    assert "Criteria of the pathway" in text  # the pathway applied for, with its criteria
    assert "Prepared by the command line, on the server" in text
    assert LEGAL_NAME not in text  # the codename only, unless --with-identity
    for item in items:
        assert item.sha256 in text.replace(" ", "")
    web = make(
        client_for("lawyer"),
        case,
        pathway=PATHWAY,
        items=[str(item.pk) for item in items],
        recipient=Recipient.NGO,
        testimonies=[str(testimony.pk)],
    )
    assert without_who_and_ids(pdf_text(out.read_bytes())) == without_who_and_ids(
        pdf_text(body(web))
    )
    rows = AuditEvent.objects.filter(event=Event.CASE_EXPORTED).order_by("seq")
    assert [row.data["format"] for row in rows] == ["dossier_pdf", "dossier_pdf"]
    assert rows[0].actor is None and rows[0].data["pathway"] == PATHWAY
    assert rows[0].data["items"] == sorted(str(item.pk) for item in items)


def test_the_command_builds_the_zip_the_page_builds(client_for, case, items, outdir):
    chosen = ["--format", "zip", "--recipient", "authority", "--with-identity"]
    for item in items:
        chosen += ["--item", str(item.pk)]
    out = outdir / "dossier.zip"
    build(case, out, *chosen)
    archive = zipfile.ZipFile(out)
    assert archive.testzip() is None
    root = archive.namelist()[0].split("/")[0]
    listing = sorted(name.removeprefix(root + "/") for name in archive.namelist())
    assert listing == [
        "SHA256SUMS.txt",
        "dossier.pdf",
        "files/E1-военный билет.txt",
        "files/E2-photo 1.jpg",
    ]
    assert archive.read(f"{root}/files/E1-военный билет.txt") == SCAN
    assert archive.read(f"{root}/files/E2-photo 1.jpg") == PHOTO
    assert LEGAL_NAME in pdf_text(archive.read(f"{root}/dossier.pdf"))  # --with-identity

    web = make(
        client_for("lawyer"),
        case,
        output="zip",
        pathway=PATHWAY,
        items=[str(item.pk) for item in items],
        recipient=Recipient.AUTHORITY,
    )
    from_page = zipfile.ZipFile(io.BytesIO(body(web)))
    page_root = from_page.namelist()[0].split("/")[0]
    assert sorted(n.removeprefix(page_root + "/") for n in from_page.namelist()) == listing
    assert CustodyEntry.objects.filter(action=CustodyAction.EXPORTED).count() == 4
    identity = AuditEvent.objects.filter(event=Event.CASE_EXPORTED).order_by("seq").first()
    assert identity.data["identity"] is True and identity.data["reason"] == "documents"


def test_refusals_are_one_line_and_write_nothing(case, items, outdir):
    out = outdir / "dossier.pdf"
    assert "no case has the codename 'no-such-case-1'" in refusal("no-such-case-1", out)
    message = refusal(case, out, "--pathway", "xx-nothing")
    assert "unknown pathway 'xx-nothing'" in message and PATHWAY in message

    # The exit gate: his own files went only where he agreed (NGOs, authorities).
    message = refusal(case, out, "--recipient", "media", "--item", str(items[0].pk))
    assert message.startswith("Refused, nothing was exported.")
    assert "the person of the case consented to: NGOs" in message
    assert AuditEvent.objects.filter(event=Event.EVIDENCE_EXPORT_REFUSED).count() == 1
    message = refusal(case, out, "--item", str(items[0].pk))
    assert "Choose who receives the dossier" in message

    taken = outdir / "taken.pdf"
    taken.write_bytes(b"keep me")
    assert "exists already" in refusal(case, taken)
    assert taken.read_bytes() == b"keep me"

    message = refusal(case, out, "--age-recipient", "age1notakey")
    assert "not an age public key" in message

    assert not out.exists() and sorted(p.name for p in outdir.iterdir()) == ["taken.pdf"]
    assert not AuditEvent.objects.filter(event=Event.CASE_EXPORTED).exists()
    assert not CustodyEntry.objects.filter(action=CustodyAction.EXPORTED).exists()


def test_a_refusal_exits_non_zero_with_one_line_on_stderr(case, outdir, monkeypatch, capsys):
    monkeypatch.setattr(connections, "close_all", lambda: None)  # the test's transaction stays
    argv = ["waystation", "dossier", "build", case.codename, "--pathway", "xx-nothing"]
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv([*argv, "--out", str(outdir / "d.pdf")])
    assert exited.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("CommandError: unknown pathway 'xx-nothing'")


def test_the_command_encrypts_to_the_age_recipient(case, items, outdir):
    key = pyrage.x25519.Identity.generate()
    out = outdir / "dossier.zip.age"
    said = build(
        case,
        out,
        "--format",
        "zip",
        "--recipient",
        "ngo",
        "--item",
        str(items[0].pk),
        "--age-recipient",
        str(key.to_public()),
    )
    assert "encrypted to age1" in said
    sealed = out.read_bytes()
    assert sealed.startswith(b"age-encryption.org/v1") and PHOTO[:64] not in sealed
    archive = zipfile.ZipFile(io.BytesIO(pyrage.decrypt(sealed, [key])))
    photo = [name for name in archive.namelist() if name.endswith("/files/E1-photo 1.jpg")]
    assert len(photo) == 1 and archive.read(photo[0]) == PHOTO
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(sealed, [pyrage.x25519.Identity.generate()])
    row = AuditEvent.objects.get(event=Event.CASE_EXPORTED)
    assert row.data["age"] is True and row.data["format"] == "dossier_zip"


def test_the_page_encrypts_to_the_age_recipient(client_for, case):
    key = pyrage.x25519.Identity.generate()
    client = client_for("lawyer")
    assert 'name="age_recipient"' in client.get(url(case)).content.decode()
    response = make(client, case, pathway=PATHWAY, age_recipient=str(key.to_public()))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert re.search(r'filename="dossier-[^"]+\.pdf\.age"', response["Content-Disposition"])
    sealed = body(response)
    plain = pyrage.decrypt(sealed, [key])
    assert plain.startswith(b"%PDF") and case.codename in pdf_text(plain)
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(sealed, [pyrage.x25519.Identity.generate()])

    wrong = make(client, case, age_recipient="age1-this-is-not-a-key")
    assert wrong.status_code == 400
    assert "This is not an age public key" in wrong.content.decode()
    assert AuditEvent.objects.filter(event=Event.CASE_EXPORTED).count() == 1
