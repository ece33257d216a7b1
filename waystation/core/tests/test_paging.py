"""The one pager (core.paging): a page by the number asked, the other parameters carried."""

from django.http import QueryDict
from django.template.loader import render_to_string

from waystation.core.paging import page_of


def test_a_page_carries_the_other_parameters_and_survives_a_bad_number():
    page = page_of(list(range(120)), QueryDict("q=embassy&kind=ngo&page=2"), size=50)
    assert page.number == 2 and list(page.object_list) == list(range(50, 100))
    assert page.params == "q=embassy&kind=ngo"
    assert page_of(list(range(120)), QueryDict("page=nonsense"), size=50).number == 1
    assert page_of(list(range(120)), QueryDict("page=99"), size=50).number == 3


def test_the_pager_links_keep_the_filters_and_the_anchor():
    page = page_of(list(range(120)), QueryDict("q=embassy&page=2"), size=50)
    html = render_to_string("core/_pager.html", {"page": page, "anchor": "not-screened"})
    assert 'href="?q=embassy&amp;page=1#not-screened"' in html
    assert 'href="?q=embassy&amp;page=3#not-screened"' in html
    assert "Page 2 of 3" in html
    assert render_to_string("core/_pager.html", {"page": page_of([1], QueryDict(""))}).strip() == ""


def test_several_filters_are_carried_escaped_once():
    page = page_of(list(range(120)), QueryDict("q=a+b&kind=ngo&page=2"), size=50)
    html = render_to_string("core/_pager.html", {"page": page})
    assert 'href="?q=a+b&amp;kind=ngo&amp;page=3"' in html
    old_style = render_to_string("core/_pager.html", {"page": page, "params": "tab=x&case=y"})
    assert 'href="?q=a+b&amp;kind=ngo&amp;page=3"' in old_style  # the page's own first
