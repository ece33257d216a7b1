"""Trusted timestamps in a package: the RFC 3161 tokens over the items' SHA-256 (taken at
ingest), a token over the package's chain heads (asked for while the package is made), the
certificate chains of the authorities, and how to check each with ``openssl ts -verify``;
and checking them again, as the recipient would (``problems``).

    data/timestamps.json               each token: what it covers, authority, status, time
    data/timestamps/tsa-certificates.pem   the authorities' chains, as configured
    data/timestamps/<item id>.txt      the statement stamped for an item (its SHA-256)
    data/timestamps/<item id>.<n>.tsr  the token of the n-th authority (its whole reply)
    data/timestamps/heads.txt          the custody chain heads of this package's items and
                                       the audit chain head, at this export
    data/timestamps/heads.<n>.tsr
"""

import json
import re
from pathlib import Path

from waystation.core import timestamps

from .. import timestamping
from ..models import Item, TimestampStatus, TimestampSubject

FOLDER = "data/timestamps"
TABLE = "data/timestamps.json"
CHAIN = f"{FOLDER}/tsa-certificates.pem"
_SHA256 = re.compile(r"^SHA-256 ([0-9a-f]{64})$", re.MULTILINE)
_CUSTODY = re.compile(r"^custody (\S+) entry (\d+) ([0-9a-f]{64})$", re.MULTILINE)


def _date(value) -> str | None:
    return value.isoformat() if value else None


def timestamp_files(items: list[Item], custody_rows: list[dict]) -> list[tuple[str, bytes]]:
    """The files above for ``items``, whose custody.json rows are ``custody_rows``; none
    when no authority is configured and no item has a token."""
    tokens = [t for item in items for t in item.timestamps.all()]
    if not tokens and not timestamps.enabled():
        return []
    heads: dict[str, dict] = {}
    for row in custody_rows:
        heads[row["item"]] = row
    statement = timestamping.heads_statement(
        occasion="export",
        custody=[(item, row["seq"], row["entry_hash"]) for item, row in sorted(heads.items())],
    )
    tokens += timestamping.stamp_heads(statement)
    files, rows, counts = [(f"{FOLDER}/heads.txt", statement.encode())], [], {}
    written = set()
    for token in tokens:
        name = str(token.item_id) if token.subject == TimestampSubject.ITEM else "heads"
        statement_file = f"{FOLDER}/{name}.txt"
        if statement_file not in written and name != "heads":
            files.append((statement_file, token.statement.encode()))
        written.add(statement_file)
        token_file = None
        if token.status == TimestampStatus.OBTAINED:
            counts[name] = counts.get(name, 0) + 1
            token_file = f"{FOLDER}/{name}.{counts[name]}.tsr"
            files.append((token_file, bytes(token.token)))
        rows.append(
            {
                "subject": token.subject,
                "item": str(token.item_id) if token.item_id else None,
                "statement": statement_file,
                "token": token_file,
                "authority": token.authority,
                "status": token.status,
                "stamped_at": _date(token.stamped_at),
                "reason": token.reason,
            }
        )
    try:
        pem = timestamps.chain_pem()
    except timestamps.TimestampError:
        pem = b""
    if pem:
        files.append((CHAIN, pem))
    table = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    return [(TABLE, table.encode()), *files]


def readme_section(tables: list[tuple[str, bytes]]) -> str:
    """Step 4 of the README: the `openssl ts -verify` command for each token."""
    table = dict(tables).get(TABLE)
    if table is None:
        return ""
    commands = []
    for row in json.loads(table):
        if row["token"]:
            commands.append(
                f"       openssl ts -verify -data {row['statement']} -in {row['token']} \\\n"
                f"           -CAfile {CHAIN}\n"
            )
    return README.format(commands="\n".join(commands) or "       (no token was obtained)\n")


README = """
4. When. data/timestamps.json lists the trusted timestamps (RFC 3161) of this package: a
   token from a time-stamping authority (TSA) over each item's SHA-256, taken when the group
   received it, and one over heads.txt, the last custody entry of each item here and the head
   of the group's audit log at this export. Each token signs the SHA-256 of a statement file
   (data/timestamps/*.txt); an item's statement names the item's SHA-256, which must be the
   one in manifest-sha256.txt. A token proves the statement (and so the file's hash) existed
   at the time it gives, attested by the TSA; not who made the file nor that it is true.
   {chain} holds the TSAs' certificates as the group configured them: compare the
   root with the one the TSA publishes. In this directory, each of:

{commands}
   prints "Verification: OK". `waystation evidence verify-export` checks them too.
""".replace("{chain}", CHAIN)


def problems(path: Path, manifest: dict[str, str], items: dict) -> list[str]:
    """Every token of the package that does not hold, with the reason."""
    table = path / TABLE
    if not table.is_file():
        return []
    try:
        rows = json.loads(table.read_text(encoding="utf-8"))
        pem = (path / CHAIN).read_bytes() if (path / CHAIN).is_file() else b""
    except (OSError, ValueError) as error:
        return [f"cannot read {TABLE}: {error}"]
    found = []
    for row in rows:
        try:
            if not row["token"]:
                continue
            where = f"timestamp {row['token']}"
            statement = (path / row["statement"]).read_bytes()
            token = (path / row["token"]).read_bytes()
        except (KeyError, TypeError, OSError) as error:
            found.append(f"{TABLE}: a token cannot be read ({error})")
            continue
        try:
            timestamps.check(token, statement, pem=pem)
        except timestamps.TimestampError as error:
            found.append(f"{where}: {error.reason}")
        text = statement.decode("utf-8", "replace")
        if row.get("subject") == TimestampSubject.ITEM:
            item = items.get(row.get("item"), {})
            stamped = _SHA256.search(text)
            file_hash = manifest.get(str(Path(str(item.get("file"))))) if item else None
            if not stamped or stamped[1] != item.get("sha256") or stamped[1] != file_hash:
                found.append(
                    f"{where}: item {row.get('item')}'s file is not the one timestamped "
                    "(its SHA-256 differs from the statement's)"
                )
    return found


def heads_problems(path: Path, chains: dict[str, list[dict]]) -> list[str]:
    """heads.txt must name the last custody entry of each item in custody.json."""
    heads = path / FOLDER / "heads.txt"
    if not heads.is_file():
        return []
    named = {m[1]: (int(m[2]), m[3]) for m in _CUSTODY.finditer(heads.read_text("utf-8"))}
    last = {item: (c[-1].get("seq"), c[-1].get("entry_hash")) for item, c in chains.items()}
    if named != last:
        return [f"{FOLDER}/heads.txt does not name the last custody entry of each item"]
    return []


def anchor_problems(path: Path, anchor: Path) -> list[str]:
    """This package's custody chains against the heads an earlier package carried
    (``anchor``: its heads.txt, or the package itself): each item in both must still hold the
    anchored entry, unchanged — else its chain was cut back or rewritten since."""
    if anchor.is_dir():
        anchor = anchor / FOLDER / "heads.txt"
    try:
        anchored = _CUSTODY.findall(anchor.read_text(encoding="utf-8"))
        entries = json.loads((path / "data" / "custody.json").read_text(encoding="utf-8"))
        held = {(e["item"], e["seq"]): e["entry_hash"] for e in entries}
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"cannot compare with the anchor {anchor}: {error}"]
    if not anchored:
        return [f"{anchor} names no custody chain heads"]
    here = {item for item, _seq in held}
    problems = []
    for item, seq, entry_hash in anchored:
        if item not in here:
            continue
        found = held.get((item, int(seq)))
        if found is None:
            problems.append(
                f"item {item}: the anchor names custody entry {seq}, which this package's chain "
                "does not reach: the chain was cut back since"
            )
        elif found != entry_hash:
            problems.append(
                f"item {item}: custody entry {seq} is not the one anchored: the chain was "
                "rewritten since"
            )
    return problems
