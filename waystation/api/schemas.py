"""Shapes shared by the API's resources."""

from django.http import QueryDict
from ninja import Path, Schema

from waystation.core.paging import PAGE_SIZE, page_of

# The largest id a call may name: databases keep ids in 64 bits, and a larger number would
# fail in the database instead of being refused (422) or not found (404).
MAX_ID = 2**62


def an_id():
    """A path parameter that is a row's id."""
    return Path(..., ge=0, le=MAX_ID)


class PageInfo(Schema):
    count: int
    page: int
    pages: int
    page_size: int


def paged(items, number: int, shape) -> dict:
    """One page of ``items`` through the pager every list page uses (core.paging), each
    row made into ``shape`` (a function of one row)."""
    page = page_of(items, QueryDict(), number=number)
    return {
        "paging": {
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "page_size": PAGE_SIZE,
        },
        "results": [shape(row) for row in page.object_list],
    }
