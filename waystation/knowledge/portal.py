"""Public safety pages in the anonymous request portal (/intake/guide/, or /guide/ when the
portal runs alone): no account, the portal's strict CSP, never cached. Only pages marked
public are found; a members-only page answers 404 exactly as a page that does not exist.
Nothing about who wrote or reviewed a page is shown here, only when it was last reviewed."""

from django.shortcuts import render
from django.urls import reverse
from django.utils import translation

from waystation.core.access import portal_view

from . import selectors
from .markdown import render_markdown
from .models import Category


@portal_view
def guide(request):
    language = translation.get_language()
    labels = dict(Category.choices)
    groups: dict[str, list] = {}
    for page in selectors.portal_pages(language):
        groups.setdefault(str(labels[page.category]), []).append(page)
    return render(request, "knowledge/portal_list.html", {"groups": groups})


@portal_view
def guide_page(request, topic):
    page = selectors.portal_page(topic, translation.get_language())
    public = selectors.portal_topics()

    def link_for_topic(target: str) -> str | None:
        return reverse("intake:guide_page", args=[target]) if target in public else None

    body = render_markdown(page.current.body, link_for_topic=link_for_topic)
    return render(request, "knowledge/portal_page.html", {"page": page, "body": body})
