"""``{% once %}``: fixed markup rendered once per language, and nothing that could differ
between pages or members is let into it."""

import pytest
from django.template import Engine, TemplateSyntaxError, engines
from django.utils import translation

LIBRARIES = {
    "frame": "waystation.core.templatetags.frame",
    "static": "django.templatetags.static",
}


def _template(body: str):
    return engines["django"].from_string("{% load i18n static frame %}" + body)


FIXED = (
    '<a href="{% url \'home:dashboard\' %}">{% translate "Sign out" %}</a>'
    "<link href=\"{% static 'waystation/waystation.css' %}\">"
    '{% url "cases:case" 7 %}'
)


def test_it_gives_what_the_same_markup_gives_without_it():
    plain, once = _template(FIXED), _template("{% once %}" + FIXED + "{% endonce %}")
    for _ in range(2):  # the second time from what was kept
        assert once.render({}) == plain.render({})
    assert "/cases/7/" in once.render({})


def test_each_language_gets_its_own_text():
    once = _template('{% once %}<button>{% translate "Sign out" %}</button>{% endonce %}')
    with translation.override("en"):
        english = once.render({})
    with translation.override("ru"):
        russian = once.render({})
    with translation.override("en"):
        assert once.render({}) == english == "<button>Sign out</button>"
    assert russian != english and "Sign out" not in russian


@pytest.mark.parametrize(
    "inside",
    [
        "{{ user }}",
        "{% translate message %}",
        '{% translate "Sign out" as label %}',
        '{% translate "Sign out"|upper %}',
        "{% url 'cases:case' case.pk %}",
        "{% url view_name %}",
        "{% static path %}",
        "{% if user %}x{% endif %}",
        "{% csrf_token %}",
    ],
)
def test_anything_that_reads_the_page_is_refused_when_compiled(inside):
    engine = Engine(libraries=LIBRARIES, builtins=["django.templatetags.i18n"])
    with pytest.raises(TemplateSyntaxError, match="once"):
        engine.from_string("{% load frame static %}{% once %}a" + inside + "b{% endonce %}")
