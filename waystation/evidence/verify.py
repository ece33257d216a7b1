"""`waystation evidence verify`: re-hash every stored item and check every custody chain."""

import hashlib
from collections.abc import Iterator

from waystation.core.blobstore import BlobDamaged, BlobMissing, blob_store

from . import custody
from .models import CustodyEntry, Item


def _rehash(item: Item) -> str | None:
    """The problem with ``item``'s stored bytes, or None when they hash as recorded."""
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in blob_store().open(item.blob):
            digest.update(chunk)
            size += len(chunk)
    except BlobMissing:
        return "its stored file is missing"
    except BlobDamaged:
        return "its stored file is damaged (decryption failed: changed or truncated)"
    if digest.hexdigest() != item.sha256:
        return f"SHA-256 is {digest.hexdigest()}, recorded {item.sha256}"
    if size != item.size:
        return f"size is {size} bytes, recorded {item.size}"
    return None


def verify_all() -> Iterator[custody.Problem | None]:
    """Yield each problem found; ``None`` after each item checked, for progress."""
    items = Item.objects.only("pk", "blob", "sha256", "size").order_by("ingested_at", "pk")
    for item in items.iterator(chunk_size=200):
        problem = _rehash(item)
        if problem:
            yield custody.Problem(str(item.pk), None, problem)
        entries = CustodyEntry.objects.filter(item_id=item.pk).order_by("seq")
        yield from custody.verify_chain(item.pk, entries.iterator(chunk_size=500))
        yield None
