"""The dashboard's lists and the page frame's loops written by Python (home/templatetags,
core/templatetags/frame.py) give the same markup as the templates they replace, escaped."""

from datetime import date, timedelta

from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import translation

from waystation.cases.demo import generate_cases
from waystation.cases.models import Case, RiskEvent, RiskKind, Task
from waystation.cases.selectors import pressing_for, tasks_for
from waystation.core.templatetags.frame import language_buttons, nav_links
from waystation.home.templatetags.dashboard_rows import pressing_rows, task_rows

_NAV_LOOP = Template(
    '{% for item in nav_items %}<li><a href="{{ item.url }}"{% if item.active %} '
    'aria-current="page"{% endif %}>{{ item.label }}</a></li>{% endfor %}'
)
_LANGUAGE_LOOP = Template(
    '{% for code, name in language_choices %}<button type="submit" name="language" '
    'value="{{ code }}" lang="{{ code }}"{% if code == LANGUAGE_CODE %} aria-pressed="true" '
    "disabled{% endif %}>{{ name }}</button>{% endfor %}"
)


def test_pressing_rows_are_the_task_pages_list(cast):
    generate_cases(4, seed=3, notes=0)
    cases = list(Case.objects.order_by("pk")[:2])
    today = date.today()
    RiskEvent.objects.create(
        case=cases[0], kind=RiskKind.DETENTION, on=today - timedelta(days=3), place="<b>&'\""
    )
    cases[0].status = "detained"
    cases[0].save(update_fields=["status"])
    RiskEvent.objects.create(case=cases[1], kind=RiskKind.HEARING, on=today + timedelta(days=2))
    for language in ("en", "ru"):
        with translation.override(language):
            events = pressing_for(cast["coordinator"])
            assert len(events) >= 2
            assert str(pressing_rows(events)) == render_to_string(
                "cases/_pressing.html", {"events": events}
            )
    assert "&lt;b&gt;&amp;&#x27;&quot;" in str(pressing_rows(events))
    assert "<b>" not in str(pressing_rows(events))


def test_task_rows_show_due_day_title_and_case(cast):
    generate_cases(3, seed=4, notes=0)
    task = Task.objects.filter(done_at__isnull=True).first()
    task.assignee, task.title = cast["caseworker"], "Call <Anna> & co"
    task.due_on = date(2026, 12, 9)
    task.save(update_fields=["assignee", "title", "due_on"])
    task.case.caseworker = cast["caseworker"]
    task.case.save(update_fields=["caseworker"])
    rows = str(task_rows(tasks_for(cast["caseworker"], limit=8, brief=True)))
    assert "Call &lt;Anna&gt; &amp; co" in rows
    assert '<time datetime="2026-12-09">9 Dec 2026</time>' in rows
    assert f'href="/cases/{task.case_id}/">{task.case.codename}</a>' in rows


def test_frame_links_and_language_buttons_are_the_loops_they_replace():
    items = [
        {"label": "Overview", "url": "/", "active": True},
        {"label": "Cases & <people>", "url": "/cases/?a=1&b=2", "active": False},
    ]
    choices = [("en", "English"), ("ru", "Русский")]
    for language in ("en", "de"):
        with translation.override(language):
            assert str(nav_links(items)) == _NAV_LOOP.render(Context({"nav_items": items}))
    context = Context({"language_choices": choices, "LANGUAGE_CODE": "ru"})
    assert str(language_buttons(choices, "ru")) == _LANGUAGE_LOOP.render(context)
