"""Members' pages for safety knowledge: the list and search, a page, its print version, its
history and differences between revisions, writing and reviewing, the offline export."""

from django.conf import settings
from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from waystation.accounts.policy import Perm, can, requires

from . import export, selectors, services
from .forms import ExportForm, PageEditForm, PageNewForm
from .markdown import render_markdown
from .models import Category, Language, Page


def _link_resolver(viewer, language: str):
    """``page:topic`` links: the version in the page's language, else English, else none."""
    known = selectors.addresses(viewer)

    def link_for_topic(topic: str) -> str | None:
        for candidate in (language, Language.EN):
            if (topic, candidate) in known:
                return reverse("knowledge:page", args=[topic, candidate])
        return None

    return link_for_topic


def _rendered(viewer, page: Page, body: str):
    return render_markdown(body, link_for_topic=_link_resolver(viewer, page.language))


def _default_language(viewer) -> str:
    """The member's own language where there are pages in it, else every language."""
    current = translation.get_language()
    held = {language for _, language in selectors.addresses(viewer)}
    return current if current in held else "all"


@requires(Perm.KNOWLEDGE_VIEW)
def index(request):
    language = request.GET.get("language") or _default_language(request.user)
    language = language if language in Language.values or language == "all" else "all"
    category = request.GET.get("category", "")
    category = category if category in Category.values else ""
    query = request.GET.get("q", "").strip()
    only = "" if language == "all" else language
    if query:
        hits = selectors.search(request.user, query, language=only)
        groups = []
    else:
        hits = None
        labels = dict(Category.choices)
        grouped: dict[str, list] = {}
        for page in selectors.pages_for(request.user, language=only, category=category):
            grouped.setdefault(page.category, []).append(page)
        groups = [(labels[key], rows) for key, rows in grouped.items()]
    return render(
        request,
        "knowledge/index.html",
        {
            "groups": groups,
            "hits": hits,
            "query": query,
            "language": language,
            "category": category,
            "languages": Language.choices,
            "categories": Category.choices,
            "due_before": selectors.review_due_before(),
            "may_edit": can(request.user, Perm.KNOWLEDGE_EDIT),
        },
    )


def _page_context(request, page: Page) -> dict:
    versions = selectors.versions_of(request.user, page)
    held = {page.language, *(other.language for other in versions)}
    return {
        "page": page,
        "overdue": selectors.review_overdue(page),
        "review_max_days": settings.KNOWLEDGE_REVIEW_MAX_DAYS,
        "versions": versions,
        "missing_languages": [
            (code, get_language_info(code)["name_translated"])
            for code in Language.values
            if code not in held
        ],
        "may_edit": can(request.user, Perm.KNOWLEDGE_EDIT),
    }


@requires(Perm.KNOWLEDGE_VIEW)
def page(request, topic, lang):
    found = selectors.page_for(request.user, topic, lang)
    context = _page_context(request, found)
    context["body"] = _rendered(request.user, found, found.current.body)
    return render(request, "knowledge/page.html", context)


@requires(Perm.KNOWLEDGE_VIEW)
def page_print(request, topic, lang):
    found = selectors.page_for(request.user, topic, lang)
    with translation.override(found.language):
        return render(
            request,
            "knowledge/print.html",
            {"page": found, "body": _rendered(request.user, found, found.current.body)},
        )


@requires(Perm.KNOWLEDGE_VIEW)
def history(request, topic, lang):
    found = selectors.page_for(request.user, topic, lang)
    return render(
        request,
        "knowledge/history.html",
        {"page": found, "revisions": selectors.revisions_of(request.user, found)},
    )


@requires(Perm.KNOWLEDGE_VIEW)
def revision(request, topic, lang, number):
    found = selectors.page_for(request.user, topic, lang)
    old = selectors.revision_of(request.user, found, number)
    return render(
        request,
        "knowledge/revision.html",
        {
            "page": found,
            "revision": old,
            "body": _rendered(request.user, found, old.body),
            "may_edit": can(request.user, Perm.KNOWLEDGE_EDIT),
        },
    )


def _number(raw, default: int) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


@requires(Perm.KNOWLEDGE_VIEW)
def diff(request, topic, lang):
    found = selectors.page_for(request.user, topic, lang)
    latest = found.current.number
    new = selectors.revision_of(request.user, found, _number(request.GET.get("to"), latest))
    old_number = _number(request.GET.get("from"), new.number - 1)
    old = selectors.revision_of(request.user, found, max(old_number, 1))
    return render(
        request,
        "knowledge/diff.html",
        {
            "page": found,
            "old": old,
            "new": new,
            "lines": selectors.line_diff(old, new),
            "numbers": range(1, latest + 1),
        },
    )


@requires(Perm.KNOWLEDGE_EDIT)
def page_new(request):
    initial = {
        "topic": request.GET.get("topic", ""),
        "language": request.GET.get("language", translation.get_language()),
        "category": request.GET.get("category", ""),
        "country": request.GET.get("country", ""),
    }
    form = PageNewForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            preview = render_markdown(data["body"])
        else:
            try:
                created = services.page_create(actor=request.user, **data)
            except services.KnowledgeError as problem:
                form.add_error(None, str(problem))
            else:
                messages.success(request, _("Page created."))
                return redirect("knowledge:page", created.topic, created.language)
    return render(
        request,
        "knowledge/edit.html",
        {"form": form, "preview": preview, "page": None},
        status=400 if form.errors else 200,
    )


@requires(Perm.KNOWLEDGE_EDIT)
def page_edit(request, topic, lang):
    found = selectors.page_for(request.user, topic, lang, Perm.KNOWLEDGE_EDIT)
    start = found.current
    if request.method == "GET" and request.GET.get("from"):
        start = selectors.revision_of(request.user, found, _number(request.GET["from"], 0))
    initial = {
        "title": start.title,
        "body": start.body,
        "category": found.category,
        "country": found.country,
        "is_public": found.is_public,
        "based_on": found.current.number,
    }
    if start != found.current:
        initial["note"] = _("Back to revision %(number)s") % {"number": start.number}
    form = PageEditForm(request.POST or None, initial=initial, language=found.language)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            preview = _rendered(request.user, found, data["body"])
        else:
            try:
                services.page_revise(actor=request.user, page=found, **data)
            except services.KnowledgeError as problem:
                form.add_error(None, str(problem))
            else:
                messages.success(request, _("Saved."))
                return redirect("knowledge:page", found.topic, found.language)
    return render(
        request,
        "knowledge/edit.html",
        {"form": form, "preview": preview, "page": found},
        status=400 if form.errors else 200,
    )


@require_POST
@requires(Perm.KNOWLEDGE_EDIT)
def page_review(request, topic, lang):
    found = selectors.page_for(request.user, topic, lang, Perm.KNOWLEDGE_EDIT)
    services.page_mark_reviewed(actor=request.user, page=found)
    messages.success(request, _("Marked as reviewed today."))
    return redirect("knowledge:page", found.topic, found.language)


@requires(Perm.KNOWLEDGE_VIEW)
def export_html(request):
    """The offline copy as a ZIP made while it downloads; every page the member may read, or
    only the public ones."""
    form = ExportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        public_only = form.cleaned_data["public_only"]
        pages = [
            found
            for found in selectors.pages_for(request.user)
            if found.is_public or not public_only
        ]
        services.export_record(actor=request.user, pages=pages, public_only=public_only, form="zip")
        root = export.folder_name()
        response = StreamingHttpResponse(
            export.zip_chunks(pages, root), content_type="application/zip"
        )
        response["Content-Disposition"] = content_disposition_header(True, f"{root}.zip")
        return response
    return render(request, "knowledge/export.html", {"form": form})
