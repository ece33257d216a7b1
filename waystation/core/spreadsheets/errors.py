"""What goes wrong in an import, each with a message the user can act on."""

from django.utils.translation import gettext_lazy

from waystation.core.refusals import Refusal

# The header of the reason column in a file of rejected rows; an import passes over a column
# with this header in any language (see table.REASON_HEADERS).
REASON_HEADER = gettext_lazy("Why this row was not imported")


class SpreadsheetError(Refusal):
    """The file as a whole cannot be read; the message says what to do."""


class MappingError(Refusal):
    """The chosen columns cannot be used (one column for two fields, a column that is not
    there, a required field without a column); the message says which."""


class CellError(Refusal):
    """This cell cannot be used; the message is the reason shown for its row.

    ``safe`` is the same reason without the cell's text, shown instead when the field is
    sensitive (a name, a phone number): such a value is never printed."""

    def __init__(self, message, *, safe=None):
        super().__init__(message)
        self.safe = safe


class ImportRefused(Refusal):
    """Nothing was written: rows were refused and the import is all or nothing, or the file
    had no rows to import. The message says so with the count."""
