"""The site's ``date`` filter, loaded as a template builtin after Django's (settings.TEMPLATES):
the named formats (DATE_FORMAT, SHORT_DATE_FORMAT, SHORT_DATETIME_FORMAT …) follow CLDR in the
reader's language through Babel (core/dates.py); any other format string is Django's filter."""

from django import template
from django.template import defaultfilters

from waystation.core.dates import NAMED_FORMATS, format_named

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    arg = arg or "DATE_FORMAT"
    if arg in NAMED_FORMATS and value not in (None, ""):
        try:
            return format_named(value, arg)
        except (AttributeError, TypeError, ValueError):
            return ""
    return defaultfilters.date(value, arg)


@register.filter(is_safe=True)
def machine_time(value):
    """A ``<time datetime>`` value HTML accepts: ISO 8601 to the second (a date as a date);
    Django's ``date:'c'`` gives microseconds, which HTML does not allow."""
    if value in (None, ""):
        return ""
    if hasattr(value, "microsecond"):
        value = value.replace(microsecond=0)
    return value.isoformat()
