"""Search words stay out of the browser's history (issue 18, finding 12): the search is posted,
its pages are posts, and words put into the address are not searched for."""

import re

import pytest
from django.urls import reverse

from waystation.cases import services

from .factories import make_case

pytestmark = pytest.mark.django_db


def test_case_search_is_posted_and_its_words_never_reach_an_address(client_for, cast, settings):
    for n in range(60):
        case = make_case(codename=f"river-stone-{n}")
        services.note_add(actor=cast["coordinator"], case=case, text="задержан в аэропорту")
    make_case(codename="quiet-field-1")
    client = client_for("coordinator")
    page = client.get(reverse("cases:list")).content.decode()
    assert re.search(r'<form method="post" action="/cases/" class="filters"', page)
    found = client.post(reverse("cases:list"), {"q": "аэропорту"})
    body = found.content.decode()
    assert found.status_code == 200  # the results themselves, not a redirect to an address
    assert "60 cases" in body and "quiet-field-1" not in body
    hrefs = " ".join(re.findall(r'(?:href|action)="([^"]*)"', body))
    assert "аэропорту" not in hrefs and "%D0%B0" not in hrefs.lower()
    # The next page is a post carrying the words, and still finds only the matching cases.
    assert '<button type="submit" name="page" value="2">' in body
    second = client.post(reverse("cases:list"), {"q": "аэропорту", "page": "2"}).content.decode()
    assert "river-stone" in second and "quiet-field-1" not in second
    # Words typed into the address are not searched for.
    addressed = client.get(reverse("cases:list"), {"q": "аэропорту"}).content.decode()
    assert "61 cases" in addressed
