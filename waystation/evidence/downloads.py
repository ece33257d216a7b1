"""A member's own copy of an item's file, for the page and the API alike: the read is written to
the chain of custody and the audit log (``item_read``) before a byte leaves, and the bytes come
from the encrypted store as a stream (memory flat for a 10 GB video). One function, so that the
two doors cannot drift apart, and the gate-bypass test lists one place that reads item bytes
outside the exit gate."""

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

from waystation.core.blobstore import blob_store
from waystation.core.uploads import display_name

from . import services
from .models import Item


def item_download_response(*, actor, item: Item) -> StreamingHttpResponse:
    """``item`` was reached through the policy (``get_for``) by the caller."""
    services.item_read(actor=actor, item=item, download=True)
    response = StreamingHttpResponse(blob_store().open(item.blob), content_type=item.media_type)
    name = display_name(item.original_name) or f"item-{str(item.pk)[:8]}"
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Content-Length"] = str(item.size)
    response["X-Content-Type-Options"] = "nosniff"
    return response
