"""One pager for every list: a page of ``items`` by the number the request asks for, carrying
the other parameters of the address so that the next page keeps the filters. Shown with
``core/_pager.html`` (links, working without JavaScript)."""

from django.core.paginator import Page, Paginator
from django.http import QueryDict

PAGE_SIZE = 50


def page_of(items, data: QueryDict, *, size: int = PAGE_SIZE, number=None) -> Page:
    """The page of ``items`` that ``data["page"]`` (or ``number``) names; a number that is not
    one, or too large, gives the first or the last page. ``page.params`` is ``data`` without
    the page number, ready for the pager's links."""
    params = data.copy()
    asked = params.pop("page", [None])[-1]
    wanted = asked if number is None else number
    # Items that can read their count and the page asked for at once are told which it is
    # before the paginator counts them (cases.selectors.FoundInMatches).
    if hasattr(items, "expect_page"):
        items.expect_page(wanted, size)
    page = Paginator(items, size).get_page(wanted)
    page.params = params.urlencode()
    return page
