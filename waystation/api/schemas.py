"""Shapes shared by the API's resources."""

from django.http import QueryDict
from ninja import Schema

from waystation.core.paging import PAGE_SIZE, page_of


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
