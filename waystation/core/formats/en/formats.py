"""English as in Britain (CLDR en_GB) where a date is shown without the site's ``date`` filter:
day before month, a 24-hour clock."""

from django.conf.locale.en_GB import formats as _django

from waystation.core.formats import ISO_DATE, ISO_DATETIME, iso_first

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
FIRST_DAY_OF_WEEK = 1
DATE_INPUT_FORMATS = iso_first(_django.DATE_INPUT_FORMATS, ISO_DATE)
DATETIME_INPUT_FORMATS = iso_first(_django.DATETIME_INPUT_FORMATS, ISO_DATETIME)
