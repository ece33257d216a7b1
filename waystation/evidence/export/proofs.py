"""The proofs the items carry, in a package: what checking them at ingest found (C2PA
content credentials, ProofMode bundles), one JSON file per item that has any, and a line
per item in the README. The proofs themselves travel inside the items (the credentials in
the file, the signatures and OpenTimestamps files in the bundle), so the recipient can
check them again with his own tools.

    data/proofs/<item id>.json   kind, result, flagged, when checked, the report (signer,
                                 claim generator, capture time, actions, hashes and
                                 signatures, problems) and the same in sentences
"""

import json

from django.utils import translation

from .. import proof_rows
from ..models import Item, ItemProof

FOLDER = "data/proofs"


def _entry(proof: ItemProof) -> dict:
    (shown,) = proof_rows.shown([proof])
    try:
        report = json.loads(proof.report) if proof.report else {}
    except ValueError:
        report = {}
    return {
        "kind": proof.kind,
        "status": proof.status,
        "status_text": shown.status,
        "flagged": proof.flagged,
        "checked_at": proof.checked_at.isoformat(),
        "problems": shown.problems,
        "notes": shown.notes,
        "report": report,
    }


def proof_files(items: list[Item]) -> list[tuple[str, bytes]]:
    files = []
    with translation.override("en"):  # the package is read abroad: one language
        for item in items:
            proofs = list(ItemProof.objects.filter(item=item).order_by("checked_at"))
            if proofs:
                data = {"item": str(item.pk), "sha256": item.sha256}
                data["proofs"] = [_entry(proof) for proof in proofs]
                text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
                files.append((f"{FOLDER}/{item.pk}.json", text.encode()))
    return files


def readme_section(tables: list[tuple[str, bytes]]) -> str:
    """What each item's proofs showed at ingest, a line per proof."""
    lines = []
    for path, data in tables:
        if path.startswith(FOLDER + "/"):
            found = json.loads(data)
            for proof in found["proofs"]:
                flag = "FLAGGED: " if proof["flagged"] else ""
                text = f"{flag}{proof['kind']}, {proof['status_text']}"
                lines.append(f"   item {found['item']}: {text}")
    if not lines:
        return ""
    return README.format(lines="\n".join(lines))


README = """
PROOFS CARRIED BY THE FILES. Some items carry their own proof, checked by the group when
it received them; data/proofs/<item id>.json says what was found (signer, program, capture
time, recorded actions, hashes and signatures) and why an item is FLAGGED:

{lines}

   C2PA content credentials are inside the file: check them again with c2patool FILE or
   https://contentcredentials.org/verify. They show who signed the file's credentials and
   that it has not changed since; not that what it shows is true, nor (without a trusted
   certificate) whose key signed it. A ProofMode bundle (a ZIP item) holds the media, its
   proofs, their PGP signatures (.asc), the phone's public key and OpenTimestamps files
   (.ots): gpg --verify FILE.asc FILE checks a signature; ots verify FILE.ots checks a
   timestamp against the Bitcoin blockchain (it needs a Bitcoin node or a block explorer,
   which the group did not use).
"""
