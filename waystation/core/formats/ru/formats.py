from django.conf.locale.ru import formats as _django

from waystation.core.formats import ISO_DATE, ISO_DATETIME, iso_first

DATE_INPUT_FORMATS = iso_first(_django.DATE_INPUT_FORMATS, ISO_DATE)
DATETIME_INPUT_FORMATS = iso_first(_django.DATETIME_INPUT_FORMATS, ISO_DATETIME)
