"""An item's proofs (``ItemProof``) as its page shows them: rows of label and value in the
reader's language, the problems found as sentences, and what the proof cannot show."""

import json
from dataclasses import dataclass, field

from django.utils.translation import gettext, gettext_lazy

from .models import ItemProof, ProofKind, ProofStatus

_SIGNATURES = {
    "verified": gettext_lazy("verified"),
    "does not verify": gettext_lazy("does not verify"),
    "missing": gettext_lazy("missing"),
    "not checked": gettext_lazy("not checked (the file is too large)"),
}
_PROBLEMS = {
    "no_proof": gettext_lazy("%(file)s: the bundle holds no proof for this file."),
    "hash_mismatch": gettext_lazy(
        "%(file)s: its SHA-256 is not the one its proof recorded: the file was changed."
    ),
    "signature_fails": gettext_lazy("%(file)s: its signature does not verify."),
    "unreadable": gettext_lazy("%(file)s: the proof cannot be read."),
    "no_media": gettext_lazy("%(file)s: a proof of a file that is not in the bundle."),
    "other_key": gettext_lazy(
        "Signed with another key than the one recorded for this case."
    ),
}
_NOTES = {
    ProofStatus.VALID: gettext_lazy(
        "The credentials are intact and the file matches them, but the certificate that "
        "signed them is on no trust list configured here: this shows the file has not "
        "changed since that key signed it, not whose key it was."
    ),
    ProofStatus.DOES_NOT_MATCH: gettext_lazy(
        "Flagged: the file, or its proof, was changed after it was signed. The file is kept "
        "as received; say so to anyone who relies on it."
    ),
    ProofStatus.DAMAGED: gettext_lazy(
        "Flagged: the file carries a proof that cannot be read (damaged or cut off)."
    ),
    ProofStatus.NOT_CHECKED: gettext_lazy(
        "Not everything could be checked: see the rows above."
    ),
}
OPENTIMESTAMPS_NOTE = gettext_lazy(
    "The OpenTimestamps files are kept in the bundle and go out with it in every package. "
    "They are not checked here: that needs a Bitcoin node. An investigator checks one with "
    "“ots verify FILE.ots”."
)


@dataclass
class ShownProof:
    kind: str
    status: str
    flagged: bool
    rows: list = field(default_factory=list)  # (label, value, technical)
    media: list = field(default_factory=list)  # for a bundle: a list of rows per file
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    unknown_keys: list = field(default_factory=list)  # fingerprints the group has not recorded


def _yes(value) -> str:
    return gettext("yes") if value else gettext("no")


def _c2pa(proof: ShownProof, report: dict) -> None:
    signer = report.get("signer") or "—"
    if report.get("issuer"):
        signer = f"{signer} ({report['issuer']})"
    rows = [
        (gettext("Signed by (certificate)"), signer, True),
        (gettext("Made with"), report.get("claim_generator") or "—", True),
        (gettext("Signed at"), report.get("signed_at") or "—", True),
        (gettext("Taken at, as the credentials say"), report.get("captured_at") or "—", True),
    ]
    actions = [
        " ".join(str(a.get(k, "")) for k in ("action", "when", "softwareAgent")).strip()
        for a in report.get("actions", [])
    ]
    rows.append((gettext("Recorded actions"), "; ".join(actions) or "—", True))
    if report.get("file_matches") is not None:
        rows.append((gettext("The file still matches them"), _yes(report["file_matches"]), False))
    if report.get("not_checked"):
        rows.append((gettext("Not checked"), gettext("the file is too large"), False))
    proof.rows = rows
    proof.problems = [
        f"{p.get('code')}: {p.get('explanation', '')}"
        for p in report.get("problems", [])
        if p.get("code") != "signingCredential.untrusted"
    ]


def _proofmode(proof: ShownProof, report: dict) -> None:
    for key in report.get("keys", []):
        if key.get("error"):
            proof.rows.append((gettext("Public key"), key["error"], True))
            continue
        text = " ".join([key.get("fingerprint", ""), *key.get("user_ids", [])])
        proof.rows.append((gettext("Public key in the bundle"), text, True))
        proof.rows.append(
            (gettext("Recorded by the group as"), key.get("known_as") or gettext("not recorded"),
             False)
        )
        if not key.get("known_as") and key.get("fingerprint"):
            proof.unknown_keys.append(key["fingerprint"])
    for media in report.get("media", []):
        recorded = "; ".join(f"{k}: {v}" for k, v in media.get("recorded", {}).items())
        proof.media.append(
            [
                (gettext("File"), media.get("file", ""), True),
                ("SHA-256", media.get("sha256", ""), True),
                (gettext("Matches its proof"), _yes(media.get("hash_matches")), False),
                (
                    gettext("Signature of the file"),
                    str(_SIGNATURES.get(media.get("signature"), media.get("signature"))),
                    False,
                ),
                (
                    gettext("Signatures of its proof"),
                    str(_SIGNATURES.get(media.get("proof_signature"), "—")),
                    False,
                ),
                ("OpenTimestamps", ", ".join(media.get("opentimestamps", [])) or "—", True),
                (gettext("Recorded by the app"), recorded or "—", True),
            ]
        )
    proof.problems = [
        str(_PROBLEMS[p["problem"]]) % {"file": p.get("file", "")}
        for p in report.get("problems", [])
        if p.get("problem") in _PROBLEMS
    ]
    if report.get("opentimestamps"):
        proof.notes.append(str(OPENTIMESTAMPS_NOTE))


def shown(proofs) -> list[ShownProof]:
    """The rows to show for each of an item's proofs."""
    found = []
    for row in proofs:
        proof = ShownProof(
            kind=row.get_kind_display(), status=row.get_status_display(), flagged=row.flagged
        )
        try:
            report = json.loads(row.report) if row.report else {}
        except ValueError:
            report = {}
        if report.get("error"):
            proof.rows.append((gettext("Why"), report["error"], True))
        elif row.kind == ProofKind.C2PA:
            _c2pa(proof, report)
        else:
            _proofmode(proof, report)
        if row.status in _NOTES:
            proof.notes.insert(0, str(_NOTES[row.status]))
        found.append(proof)
    return found


def proofs_of(item) -> list[ShownProof]:
    return shown(ItemProof.objects.filter(item=item).order_by("checked_at"))
