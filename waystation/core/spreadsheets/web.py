"""The import's web pages, shared by every kind of record: the uploaded file waits in the
encrypted blob store between the steps (never in the clear on disk), with the user's
corrections in the session, and is deleted when the import is confirmed or cancelled.

A feature's views use it like this (see outreach/importing.py)::

    pending = PendingImport(request, "outreach")
    refusal = upload_refusal(request, upload)          # the size, said with numbers
    pending.start(data, upload.name)                    # after read_grid accepted it
    ...
    if request.method == "POST":                        # "Check again" on the preview
        for problem in pending.correct(request.POST, SCHEMA):
            messages.error(request, problem)
    preview = build_preview(pending, SCHEMA, review=…)  # review(plan): database checks
    context = preview.context()                         # for core/spreadsheets/_preview.html
    ...
    pending.finish(preview.plan, mode)                  # after writing; keeps the file of
                                                        # rejected rows for GOOD_ROWS
    pending.rejected_response()                         # that file, as a download

Values of a sensitive field never reach a page: its columns' samples read "filled".
"""

import io
from dataclasses import dataclass, field
from pathlib import PurePath

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..blobstore import BlobMissing, blob_store
from . import ReadOptions
from .checking import ALL_OR_NOTHING, GOOD_ROWS, Plan, check, reason_text
from .errors import MappingError, SpreadsheetError
from .mapping import Mapping, guess_mapping, header_scores, mapping_from_choice
from .reading import DELIMITERS, ENCODINGS, MAX_INPUT_BYTES, Grid, read_grid, too_large
from .schema import Schema
from .table import Table, locate_table
from .values import cell_text
from .writing import CONTENT_TYPES, rejected_file

# Tabs do not survive every form: delimiters travel by name.
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
_BY_NAME = {name: delimiter for delimiter, name in DELIMITER_NAMES.items()}
MODES = {
    ALL_OR_NOTHING: gettext_lazy("All or nothing: import only when every row can be imported"),
    GOOD_ROWS: gettext_lazy(
        "Import the rows that can be imported, and give me the others back as a file to fix"
    ),
}
SHOWN_REJECTED = 200  # rows listed on the page; the rest are counted
_SAMPLE_CHARS = 40
_FORM_ALLOWANCE = 4096
_SESSION_PREFIX = "spreadsheet_import:"


def upload_refusal(request, upload) -> str | None:
    """Why an upload is refused for its size, with the numbers ("The file is 31 MB; the limit
    is 20 MB."), or None. A file over the server's upload limit never reaches the form, so
    the request's size stands in for it then."""
    if upload is not None:
        return too_large(upload.size) if upload.size > MAX_INPUT_BYTES else None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length <= MAX_INPUT_BYTES:
        return None
    # The request holds a few hundred bytes of form around the file.
    return too_large(max(length - _FORM_ALLOWANCE, MAX_INPUT_BYTES + 1))


class PendingImport:
    """One user's import of one kind of record, between the upload and the confirmation."""

    def __init__(self, request, kind: str):
        self.session = request.session
        self.key = f"{_SESSION_PREFIX}{kind}"

    @property
    def state(self) -> dict | None:
        return self.session.get(self.key)

    def __bool__(self) -> bool:
        return bool(self.state and self.state.get("blob"))

    @property
    def filename(self) -> str:
        return (self.state or {}).get("filename", "")

    def start(self, data: bytes, filename: str) -> None:
        """Keep a new upload (encrypted), dropping any earlier one of this kind."""
        self.discard()
        stored = blob_store().put(io.BytesIO(data))
        self.session[self.key] = {"blob": stored.name, "filename": PurePath(filename).name[:200]}

    def data(self) -> bytes | None:
        try:
            return b"".join(blob_store().open(self.state["blob"]))
        except (BlobMissing, KeyError, TypeError):
            self._delete_rejected()
            self.session.pop(self.key, None)
            return None

    def options(self) -> ReadOptions:
        state = self.state or {}
        return ReadOptions(
            encoding=state.get("encoding"),
            delimiter=state.get("delimiter"),
            header_row=state.get("header_row"),
        )

    @property
    def choice(self) -> dict | None:
        return (self.state or {}).get("choice")

    def _update(self, **changes) -> None:
        self.session[self.key] = {**(self.state or {}), **changes}

    def correct(self, post, schema: Schema) -> list[str]:
        """Take the preview's corrections: encoding, delimiter, header row, and a column for
        each field (``field_<name>``; "" for none). A changed way of reading the file makes
        the columns guessed again. Returns the problems, if any; nothing changes then."""
        encoding = post.get("encoding") or None
        if encoding is not None and encoding not in ENCODINGS:
            return [_("Choose one of the encodings offered.")]
        delimiter = _BY_NAME.get(post.get("delimiter", ""))
        if post.get("delimiter") and delimiter is None:
            return [_("Choose one of the delimiters offered.")]
        header_text = (post.get("header_row") or "").strip()
        if header_text and not header_text.isdigit():
            return [_("The header row is a row number, such as 3.")]
        header_row = int(header_text) if header_text else None
        options = self.options()
        shown = self.state.get("shown", {})
        if header_row == shown.get("header_row"):
            header_row = options.header_row  # unchanged: found, or chosen before
        if (encoding, delimiter, header_row) != (
            options.encoding,
            options.delimiter,
            options.header_row,
        ):  # the file is read differently: its columns are guessed again
            self._update(encoding=encoding, delimiter=delimiter, header_row=header_row, choice=None)
            return []
        choice = {}
        for f in schema.fields:
            value = post.get(f"field_{f.name}", "")
            if value == "":
                choice[f.name] = None
            elif value.isdigit():
                choice[f.name] = int(value)
            else:
                return [_("Choose one of the columns offered.")]
        headers = shown.get("headers", [])
        try:
            mapping_from_choice(schema, headers, choice)
        except MappingError as problem:
            return [str(problem)]
        self._update(choice=choice)
        return []

    def remember_shown(self, preview: "Preview") -> None:
        """What the page showed as detected, so that sending the form back unchanged keeps
        detecting (a new guess for a new header row, say)."""
        grid, table = preview.grid, preview.table
        self._update(
            shown={
                "encoding": grid.encoding if grid else None,
                "delimiter": grid.delimiter if grid else None,
                "header_row": table.header_line if table else None,
                "headers": table.headers if table else [],
            }
        )

    def finish(self, plan: Plan, mode: str) -> None:
        """After a confirmed import: the upload is deleted; in GOOD_ROWS mode with rows
        refused, the file of those rows is kept (encrypted) to be downloaded."""
        content = extension = None
        if mode == GOOD_ROWS and plan.rejected:
            content, extension, _type = rejected_file(plan)
        filename = self.filename
        self.discard()
        if content is not None:
            stored = blob_store().put(io.BytesIO(content))
            stem = PurePath(filename).stem or "import"
            self.session[self.key] = {
                "rejected": stored.name,
                "rejected_name": f"{stem}-rejected.{extension}",
                "rejected_count": len(plan.rejected),
            }

    def hand_over(self) -> None:
        """The upload now belongs to someone else (a background job): forget it here."""
        self.session.pop(self.key, None)

    @property
    def rejected(self) -> tuple[str, int] | None:
        """(file name, rows) of the rejected rows kept after an import, if any."""
        state = self.state or {}
        if not state.get("rejected"):
            return None
        return state["rejected_name"], state["rejected_count"]

    def rejected_response(self) -> HttpResponse | None:
        state = self.state or {}
        if not state.get("rejected"):
            return None
        try:
            content = b"".join(blob_store().open(state["rejected"]))
        except BlobMissing:
            self.session.pop(self.key, None)
            return None
        return attachment(content, state["rejected_name"])

    def _delete_rejected(self) -> None:
        state = self.state or {}
        if state.get("rejected"):
            blob_store().delete(state["rejected"])

    def discard(self) -> None:
        state = self.session.pop(self.key, None) or {}
        for name in (state.get("blob"), state.get("rejected")):
            if name:
                blob_store().delete(name)


def discard_all(session) -> None:
    """Every import of this session left between its steps — an upload waiting on its
    preview, a file of rejected rows not yet downloaded — deleted from the store: called when
    the session ends (sign-out), after which nothing could reach them."""
    keys = [key for key in session.keys() if key.startswith(_SESSION_PREFIX)]  # noqa: SIM118
    for key in keys:  # (.keys() above: a session cannot be iterated)
        state = session.pop(key, None) or {}
        for name in (state.get("blob"), state.get("rejected")):
            if name:
                blob_store().delete(name)


def attachment(content: bytes, name: str) -> HttpResponse:
    """A spreadsheet file as a download, its name kept to safe ASCII characters."""
    extension = PurePath(name).suffix.lstrip(".")
    response = HttpResponse(content, content_type=CONTENT_TYPES.get(extension, "text/csv"))
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in name)
    response["Content-Disposition"] = f'attachment; filename="{safe.strip("._") or "rejected"}"'
    return response


@dataclass
class Preview:
    schema: Schema
    grid: Grid | None = None
    table: Table | None = None
    mapping: Mapping | None = None
    plan: Plan | None = None
    problem: str = ""  # why the file could not be read as chosen
    pending: PendingImport | None = None
    extra: dict = field(default_factory=dict)

    def context(self) -> dict:
        """What core/spreadsheets/_preview.html shows (as ``sheet``)."""
        return {"sheet": _context(self)}


def build_preview(pending: PendingImport, schema: Schema, *, review=None) -> Preview:
    """Read the pending upload with the user's corrections, locate the table, map and check
    it; ``review(plan)`` adds the checks against the database. A file that cannot be read as
    chosen gives a Preview with ``problem`` set, so the page can offer another choice."""
    preview = Preview(schema, pending=pending)
    data = pending.data()
    if data is None:
        preview.problem = _("The uploaded file is gone; upload it again.")
        return preview
    options = pending.options()
    try:
        preview.grid = read_grid(data, encoding=options.encoding, delimiter=options.delimiter)
        preview.table = locate_table(preview.grid, schema, header_row=options.header_row)
    except SpreadsheetError as problem:
        preview.problem = str(problem)
        pending.remember_shown(preview)
        return preview
    headers = preview.table.headers
    mapping = None
    if pending.choice is not None:
        try:
            mapping = mapping_from_choice(schema, headers, pending.choice)
        except MappingError:
            mapping = None  # the file read differently since: guess again
    preview.mapping = mapping or guess_mapping(schema, headers)
    preview.plan = check(preview.table, schema, preview.mapping)
    if review is not None and not preview.mapping.missing(schema):
        review(preview.plan)
    pending.remember_shown(preview)
    return preview


def chosen_mode(post) -> str:
    """The mode chosen on the preview's confirm form; anything else is all-or-nothing."""
    mode = post.get("mode", ALL_OR_NOTHING)
    return mode if mode in (ALL_OR_NOTHING, GOOD_ROWS) else ALL_OR_NOTHING


def preview_to_confirm(pending: PendingImport, schema: Schema, *, review=None):
    """For the confirm step: (the preview read again with the user's corrections, its plan
    set, "") or (None, why there is nothing to import)."""
    if not pending:
        return None, _("The uploaded file is gone; upload it again.")
    preview = build_preview(pending, schema, review=review)
    if preview.plan is None:
        return None, preview.problem
    return preview, ""


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def sensitive_columns(schema: Schema, headers: list, mapping: Mapping | None) -> set[int]:
    """Columns whose values are never shown: taken by a sensitive field, or headed with a
    sensitive field's name wherever they are taken."""
    sensitive = {f.name for f in schema.fields if f.sensitive}
    taken = mapping.columns.items() if mapping else ()
    columns = {index for name, index in taken if name in sensitive}
    columns |= {index for (name, index) in header_scores(schema, headers) if name in sensitive}
    return columns


def _samples(table: Table, hidden: set[int], count: int = 2) -> list[list[str]]:
    width = len(table.headers)
    found: list[list[str]] = [[] for _ in range(width)]
    open_columns = set(range(width))
    for row in table.rows:
        for index in list(open_columns):
            cell = row.cells[index] if index < len(row.cells) else None
            text = "" if cell is None else cell_text(cell).strip()
            if not text:
                continue
            if index in hidden:
                text = str(_("filled"))
            elif len(text) > _SAMPLE_CHARS:
                text = text[: _SAMPLE_CHARS - 1] + "…"
            if text not in found[index]:
                found[index].append(text)
            if len(found[index]) >= count or index in hidden:
                open_columns.discard(index)
        if not open_columns:
            break
    return found


def _row_text(cells: list) -> str:
    return " · ".join(cell_text(c) for c in cells if c not in (None, ""))[:80]


def _context(preview: Preview) -> dict:
    grid, table, plan, schema = preview.grid, preview.table, preview.plan, preview.schema
    options = preview.pending.options() if preview.pending else ReadOptions()
    context = {
        "problem": preview.problem,
        "filename": preview.pending.filename if preview.pending else "",
        "kind": grid.kind if grid else "csv",
        "is_csv": grid is None or grid.kind == "csv",
        "encodings": list(ENCODINGS.items()),
        "encoding": grid.encoding if grid else options.encoding,
        "encoding_chosen": options.encoding is not None,
        "encoding_label": ENCODINGS.get(grid.encoding, "") if grid else "",
        "delimiters": [(DELIMITER_NAMES[d], label) for d, label in DELIMITERS.items()],
        "delimiter": DELIMITER_NAMES.get(grid.delimiter, "") if grid else "",
        "delimiter_chosen": options.delimiter is not None,
        "delimiter_label": DELIMITERS.get(grid.delimiter, "") if grid else "",
        "sheet_name": grid.sheet if grid else "",
        "passed_over": grid.passed_over if grid else [],
        "modes": list(MODES.items()),
    }
    if table is None:
        return context
    mapping = preview.mapping
    hidden = sensitive_columns(schema, table.headers, mapping)
    # A private list whose "header row" names no field at all may have no header row: that
    # row is then a person's, and only the letters of its columns are shown.
    headers_shown = not schema.private or bool(mapping.columns) or not table.header_guessed
    if schema.private:
        shown = {i for name, i in mapping.columns.items() if not schema.field(name).sensitive}
        hidden |= set(range(len(table.headers))) - shown
    samples = _samples(table, hidden)
    columns = [
        {
            "index": index,
            "letter": _column_letter(index),
            "header": (header if headers_shown else "") or _("(no header)"),
            "samples": samples[index],
        }
        for index, header in enumerate(table.headers)
    ]
    fields = [
        {
            "name": f.name,
            "label": f.label,
            "required": f.required,
            "sensitive": f.sensitive,
            "column": mapping.columns.get(f.name),
        }
        for f in schema.fields
    ]
    rejected = plan.rejected if plan else []
    context.update(
        {
            "header_line": table.header_line,
            "header_guessed": table.header_guessed,
            "above": len(table.above),
            "below": [
                {"line": row.line, "text": "" if schema.private else _row_text(row.cells)}
                for row in table.below
            ],
            "rows": len(table.rows),
            "columns": columns,
            "fields": fields,
            "missing": [f.label for f in mapping.missing(schema)],
            "unused": [columns[index] for index, _header in mapping.unused(table.headers)],
            "records": len(plan.records) if plan else 0,
            "rejected_count": len(rejected),
            "rejected": [
                {"line": r.line, "reasons": r.reasons} for r in rejected[:SHOWN_REJECTED]
            ],
            "rejected_more": max(0, len(rejected) - SHOWN_REJECTED),
            "flags": [
                {"line": flag.line, "field": schema.field(flag.field).label, "text": flag.text}
                for flag in (plan.flags if plan else [])[:SHOWN_REJECTED]
            ],
            "notes": plan.notes if plan else [],
        }
    )
    return context


def rejected_summary(count: int) -> str:
    return ngettext(
        "%(count)d row was not imported; download it, fix it and import that file.",
        "%(count)d rows were not imported; download them, fix them and import that file.",
        count,
    ) % {"count": count}


__all__ = [
    "DELIMITER_NAMES",
    "MODES",
    "PendingImport",
    "Preview",
    "attachment",
    "build_preview",
    "discard_all",
    "reason_text",
    "rejected_summary",
    "sensitive_columns",
    "upload_refusal",
]
