"""The dashboard's row lists written by Python instead of the template language.

Each row of the pressing list and the task list cost 40 – 100 µs in Django's templates (a
``{% url %}``, a CLDR date, a ``blocktranslate``, a dozen variable lookups): with 8 tasks and
a few pressing events that was a quarter of the page's time. Here the same markup takes a few
µs a row. ``pressing_rows`` gives exactly what ``cases/_pressing.html`` gives (the tests
compare the two), so the task page and the dashboard show the same list.
"""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from waystation.core.dates import format_named
from waystation.core.markup import escape_text

register = template.Library()


@lru_cache(maxsize=8192)
def _case_url(prefix: str, case_id: int) -> str:
    # `prefix` is part of the key: reverse() depends on the script prefix of the request.
    return reverse("cases:case", args=[case_id])


@lru_cache(maxsize=8)
def _since(language: str) -> str:
    # The same message as the template's blocktranslate (one entry in the catalogues).
    return gettext("since %(date)s")


def _day(value, name: str) -> str:
    return escape_text(format_named(value, name))


@register.simple_tag
def pressing_rows(events) -> str:
    """``cases/_pressing.html``'s list, the same markup."""
    prefix = get_script_prefix()
    since = _since(get_language())
    out = ['<ul class="pressing-list">']
    esc = escape_text
    for event in events:
        iso = event.on.isoformat()
        if getattr(event, "ongoing", False):
            when = since % {"date": _day(event.on, "DATE_FORMAT")}
        else:
            when = _day(event.on, "WEEKDAY_DAY_FORMAT")
        case = event.case
        place = f" · {esc(event.place)}" if event.place else ""
        out.append(
            f'\n  <li><time datetime="{iso}">{when}</time> <strong>{esc(event.kind_label)}'
            f'</strong> · <a class="codename" href="{esc(_case_url(prefix, event.case_id))}">'
            f"{esc(case.codename)}</a>{place} "
            f'<span class="urgency urgency-{esc(case.urgency)}">{esc(case.urgency_label)}'
            "</span></li>\n"
        )
    out.append("</ul>\n")
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped)


@register.simple_tag
def task_rows(tasks) -> str:
    """The dashboard's list of the member's open tasks (``cases.selectors.BriefTask`` rows): due
    day, title, the case's codename."""
    prefix = get_script_prefix()
    esc = escape_text
    out = ['<ul class="recent">']
    for task in tasks:
        due = ""
        if task.due_on:
            due = (
                f'<time datetime="{task.due_on.isoformat()}">'
                f"{_day(task.due_on, 'SHORT_DATE_FORMAT')}</time> "
            )
        out.append(
            f'<li>{due}{esc(task.title)} · <a class="codename" '
            f'href="{esc(_case_url(prefix, task.case_id))}">{esc(task.codename)}</a></li>'
        )
    out.append("</ul>")
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped)
