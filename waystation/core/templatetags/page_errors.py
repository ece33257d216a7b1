"""``{% error_prefix %}`` in the page title: "Error: " when a form on the page was sent and
refused, so that a screen reader announces the failure with the page (WCAG 3.3.1)."""

from django import forms, template
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag(takes_context=True)
def error_prefix(context):
    for layer in context.dicts:
        for value in layer.values():
            if _refused(value):
                return gettext("Error:") + " "
    return ""


def _refused(value) -> bool:
    """A sent form the view has already checked and found wrong (never cleaned here: cleaning
    may have effects, such as counting a passphrase attempt). By its real type: ``isinstance``
    would make every lazy value of the context (the CSRF token, the messages) work itself out
    here, on every page."""
    kind = type(value)
    if issubclass(kind, forms.BaseForm):
        return value.is_bound and bool(value._errors)
    if issubclass(kind, forms.BaseFormSet):
        return value.is_bound and value._errors is not None and (
            any(value._errors) or bool(value._non_form_errors)
        )
    return False
