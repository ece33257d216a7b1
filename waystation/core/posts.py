"""Posts that arrive without the fields their form always sends.

A form's text inputs, text areas and single selects are always sent by a browser, filled or
empty; only unticked boxes, empty multiple choices and files may be missing. A post without
them (a replayed or truncated request, a bare CSRF token) must not be read as "everything
empty": the views that change or clear data refuse it, and nothing is written.
"""

from django import forms


def arrived_incomplete(form: forms.Form) -> bool:
    """Whether the bound ``form``'s data lacks a field that a browser would have sent."""
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.FileInput):
            continue
        if field.widget.value_omitted_from_data(form.data, form.files, form.add_prefix(name)):
            return True
    return False
