"""``escape_text`` writes exactly what Django's ``conditional_escape`` writes, for text, numbers,
markup already marked safe and lazy translations alike."""

from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override
from hypothesis import given
from hypothesis import strategies as st

from waystation.core.markup import escape_text


@given(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.none()))
def test_plain_values_are_escaped_as_django_escapes_them(value):
    assert escape_text(value) == str(conditional_escape(value))


@given(st.text())
def test_markup_marked_safe_is_left_as_it_is(text):
    assert escape_text(mark_safe(text)) == text  # noqa: S308 (the test's own text)


def test_what_a_hostile_codename_or_place_would_inject_is_inert():
    written = escape_text('"><script>alert(1)</script><a href=\'x')
    assert "<" not in written and ">" not in written and '"' not in written and "'" not in written


def test_a_lazy_translation_is_written_in_the_language_of_the_page():
    with override("ru"):
        label = gettext_lazy("Detention")
        assert escape_text(label) == str(conditional_escape(label)) != "Detention"
