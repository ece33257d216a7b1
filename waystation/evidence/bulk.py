"""Bulk ingest from the command line: files streamed from disk, bit for bit. The management
command `waystation evidence ingest` parses the arguments and calls this."""

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import CommandError

from waystation.cases.codenames import normalise
from waystation.cases.models import Case

from . import services
from .models import AcquiredHow


def case_by_codename(codename: str) -> Case:
    found = Case.objects.filter(codename=normalise(codename)).first()
    if found is None:
        raise CommandError(f"no case has the codename {codename!r}")
    return found


def ingest_files(
    paths: list[str],
    *,
    codename: str,
    acquired_how: str = AcquiredHow.IN_PERSON,
    acquired_from: str = "",
    actor,
    say: Callable[[str], None] = print,
    origin: dict | None = None,
) -> list:
    """Ingest each file, bit for bit, as an item of the case; print its id and SHA-256.
    Every path is checked before the first is read, so a typo stops the run before anything
    is written; a file refused while ingested (a malformed chat export) stops the run too,
    after the files before it were ingested (each is complete on its own). ``origin``: the
    origin and terms fields of ``services.item_ingest_stored``, the same for every file."""
    case = case_by_codename(codename)
    if acquired_how not in AcquiredHow.values:
        raise CommandError(f"--how must be one of: {', '.join(AcquiredHow.values)}")
    files = [Path(p) for p in paths]
    for path in files:
        if not path.is_file():
            raise CommandError(f"{path}: not a readable file")
        if not os.access(path, os.R_OK):
            raise CommandError(f"{path}: permission denied")
    items = []
    for path in files:
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        try:
            with path.open("rb") as source:
                item = services.item_ingest_stream(
                    actor=actor,
                    case=case,
                    source=source,
                    original_name=path.name,
                    original_modified=modified,
                    acquired_how=acquired_how,
                    acquired_from=acquired_from,
                    **(origin or {}),
                )
        except services.EvidenceError as problem:
            raise CommandError(f"{path}: {problem}") from problem
        say(f"{item.pk}  sha256:{item.sha256}  {item.size} bytes  {path.name}")
        items.append(item)
    return items
