"""What a file is (from its content, never its name) and what it says about itself.

Reading never changes the original: everything here reads the stored blob through
``blob_store().open_seekable()``, which decrypts only the chunks a parser asks for; nothing is
written, re-saved or decoded to pixels. ``extract()`` returns a JSON-ready dict:

- images (JPEG, PNG, WebP, GIF, TIFF): ``format``, ``width``, ``height``, ``exif`` (tags by
  name: Make, Model, DateTimeOriginal, Software, Orientation…) and ``gps`` (``latitude``,
  ``longitude`` in decimal degrees, ``altitude`` in metres, ``timestamp`` in UTC, and the
  other GPS tags by name);
- video and audio (hachoir): the container's items by hachoir's names (``duration`` in
  seconds, ``creation_date``, ``width``, ``height``, ``compression`` (the codec), ``producer``
  (the encoder), ``title``, ``comment``…), and per stream under ``streams``;
- PDF (pypdf): ``title``, ``author``, ``subject``, ``keywords``, ``creator``, ``producer``,
  ``creation_date``, ``modification_date``, any other info keys under ``other``, ``pages``,
  ``pdf_version`` and ``encrypted``.

Untrusted files meet three parsers here, so each is bounded: image metadata is read only from
files up to ``MAX_IMAGE_BYTES`` and pictures up to ``MAX_IMAGE_PIXELS``, PDFs up to
``MAX_PDF_BYTES``, and every parser may read at most ``READ_BUDGET`` bytes within
``TIME_BUDGET`` seconds. No parser exception escapes: a file whose metadata cannot be read is
still ingested, with ``{"error": "…"}`` saying why.

The formats each have their module (``types`` what a file is, ``images``, ``video`` for video
and audio, ``pdf``, ``common`` the budget and JSON, ``showing`` the rows of an item's page);
the names below are the ones the rest of the application uses.
"""

import logging
from collections.abc import Callable

from waystation.core.blobstore import StoredBlob, blob_store
from waystation.core.media import SNIFF_BYTES

from . import images, pdf, video
from .common import Guarded, OverBudget, json_ready
from .showing import Shown, shown
from .types import detect_media_type, head_of, kind_for

__all__ = [
    "SNIFF_BYTES",
    "Shown",
    "detect_media_type",
    "extract",
    "head_of",
    "kind_for",
    "shown",
]

logger = logging.getLogger(__name__)

def _reader_for(media_type: str) -> Callable | None:
    if media_type in images.PILLOW_FORMATS:
        return images.read_image
    if media_type.startswith(("video/", "audio/")):
        return video.read_container
    if media_type == "application/pdf":
        return pdf.read_pdf
    return None


def extract(blob: StoredBlob, media_type: str) -> dict:
    """What the file says about itself, as a JSON-ready dict ({} when there is nothing to
    read for its type). Never raises for a bad file: ``{"error": …}`` says what went wrong."""
    reader = _reader_for(media_type)
    if reader is None:
        return {}
    try:
        with blob_store().open_seekable(blob.name) as stored:
            found = reader(Guarded(stored), blob.size, media_type)
    except OverBudget as stop:
        return {"error": f"the metadata could not be read: the file {stop}"}
    except Exception as error:
        logger.info("metadata of a %s not read: %s", media_type, type(error).__name__)
        return {"error": f"the metadata could not be read ({type(error).__name__}: {error})"[:300]}
    return json_ready(found)
