"""An item's metadata as rows for its page: common keys in the reader's language, the rest
by their technical names."""

import json
from dataclasses import dataclass

from django.utils.translation import gettext_lazy

# -- showing it -------------------------------------------------------------------------------

# What the common keys mean, for a member; any other key (an EXIF tag, a hachoir item) is shown
# as the file or the parser names it, marked as a technical name.
_LABELS = {
    "format": gettext_lazy("File format"),
    "width": gettext_lazy("Width (pixels)"),
    "height": gettext_lazy("Height (pixels)"),
    "exif": gettext_lazy("Camera data (EXIF)"),
    "gps": gettext_lazy("Location (GPS)"),
    "latitude": gettext_lazy("Latitude"),
    "longitude": gettext_lazy("Longitude"),
    "altitude": gettext_lazy("Altitude (m)"),
    "timestamp": gettext_lazy("Time (UTC)"),
    "duration": gettext_lazy("Duration (s)"),
    "creation_date": gettext_lazy("Created"),
    "modification_date": gettext_lazy("Modified"),
    "title": gettext_lazy("Title"),
    "author": gettext_lazy("Author"),
    "subject": gettext_lazy("Subject"),
    "keywords": gettext_lazy("Keywords"),
    "creator": gettext_lazy("Made with"),
    "producer": gettext_lazy("Produced by"),
    "pages": gettext_lazy("Pages"),
    "pdf_version": gettext_lazy("PDF version"),
    "encrypted": gettext_lazy("Encrypted"),
    "streams": gettext_lazy("Streams"),
    "compression": gettext_lazy("Codec"),
    "comment": gettext_lazy("Comment"),
    "other": gettext_lazy("Other"),
}


@dataclass(frozen=True)
class Shown:
    """One row of what a file says about itself: the path of keys, each a label in the
    reader's language or a technical name (``technical``), and the value as the file has it;
    ``failed`` when the row says the metadata could not be read (the value is then why)."""

    keys: tuple[tuple[str, bool], ...]  # (text, technical)
    value: str
    failed: bool = False


def shown(extracted: str) -> list[Shown]:
    """The rows to show for an item's ``extracted_metadata`` (JSON), in order."""
    if not extracted:
        return []
    try:
        found = json.loads(extracted)
    except ValueError:
        return []
    rows: list[Shown] = []

    def walk(path, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk((*path, key), inner)
        elif path == ("error",):
            rows.append(Shown(((str(gettext_lazy("Metadata")), False),), str(value), failed=True))
        else:
            keys = tuple((str(_LABELS[k]), False) if k in _LABELS else (str(k), True) for k in path)
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            rows.append(Shown(keys, text))

    walk((), found if isinstance(found, dict) else {"value": found})
    return rows
