"""Uploaded files streamed straight into the encrypted blob store, never onto disk in the clear.

A view that receives files installs ``EncryptingUploadHandler`` for its request with
``use_encrypting_uploads()``; each file is then encrypted piece by piece as Django reads it
from the request (``BlobWriter``), its type sniffed from its first bytes, and refused when it
is empty, over the size limit, one too many, or not of an accepted type. A refused file is
skipped and the rest of the form still parses, so the view can show the form again with what
was typed and say which file was refused and why::

    @csrf_exempt  # CsrfViewMiddleware would read request.POST before the handler is set ...
    def intake_form(request):
        use_encrypting_uploads(request, max_bytes=20 << 20, max_files=5)
        return _intake_form(request)

    @csrf_protect  # ... so the CSRF check runs here, after it
    def _intake_form(request):
        files, refusals = received_files(request, "attachments")
        ...
        intake_submit(..., attachments=files)
        for received in files:
            received.keep()

A received file's blob is deleted at the end of the request unless ``keep()`` was called:
Django closes every uploaded file then, and ``ReceivedFile.close()`` discards it. So a form
shown again after an error, a view that fails, or a file the view ignores leaves no blob
behind. Call ``keep()`` once the row that names the blob is saved (after the transaction).

The request body's total size is not bounded here (a refused file is read through to reach
the fields after it): the web server's body limit does that (waitress ``max_request_body_size``,
the proxy's ``client_max_body_size``).
"""

import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .blobstore import BlobStore, BlobWriter, StoredBlob, blob_store
from .media import EXTENSIONS, SNIFF_BYTES, MediaRefused, TextCheck, sniff

NAME_MAX_CHARS = 120
UNNAMED = "unnamed"

EMPTY = _("“%(name)s” is empty (0 bytes) and was not received.")
TOO_LARGE = _("“%(name)s” is larger than %(limit)s and was not received.")
TOO_MANY = ngettext_lazy(
    "“%(name)s” was not received: at most %(count)s file can be sent at once.",
    "“%(name)s” was not received: at most %(count)s files can be sent at once.",
    "count",
)
NOT_ACCEPTED = _(
    "“%(name)s” is not a type of file accepted here and was not received. Accepted are photos "
    "(JPEG, PNG, WebP, GIF), PDF, plain text, videos (MP4, MOV, 3GP) and audio (MP3, M4A, OGG)."
)

_lazy_filesize = lazy(filesizeformat, str)
_PATH_SEPARATORS = re.compile(r"[/\\]")
_NOT_IN_NAMES = re.compile(r'[:*?"<>|]')  # Windows refuses these; ":" also makes "C:name"
_JOINERS = {"\u200c", "\u200d"}  # zero-width (non-)joiner: part of Persian words and emoji


def display_name(raw: str | None) -> str:
    """A file name fit to show and to offer on download, from the one the sender gave:
    the last part of any path; no control or format characters (so no right-to-left
    override turning "gpj.exe" into "exe.jpg"), whitespace runs made one space, no
    characters Windows refuses, no leading or trailing dots or spaces, at most
    ``NAME_MAX_CHARS`` characters (the extension kept). May return "" when nothing is left:
    ``EncryptingUploadHandler`` then names the file "unnamed" plus the extension of its
    sniffed type; a file is never refused for its name. The name is for display only: the
    type comes from the content, and the name is never part of a path."""
    name = unicodedata.normalize("NFC", raw or "")
    name = _PATH_SEPARATORS.split(name)[-1]
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if char.isspace():
            kept.append(" ")
        elif category[0] != "C" or char in _JOINERS:
            kept.append(char)
    name = _NOT_IN_NAMES.sub("_", " ".join("".join(kept).split())).strip(" .")
    if len(name) > NAME_MAX_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and 0 < len(extension) <= 10:
            name = stem[: NAME_MAX_CHARS - len(extension) - 2].rstrip(" .") + "…." + extension
        else:
            name = name[: NAME_MAX_CHARS - 1].rstrip(" .") + "…"
    return name


@dataclass(frozen=True)
class RefusedFile:
    """A file that was not received, and why (``message``, in the active language)."""

    field_name: str
    display_name: str
    error: MediaRefused

    @property
    def message(self) -> str:
        return self.error.message


class ReceivedFile:
    """A file received into the blob store. It stands in for Django's UploadedFile in
    ``request.FILES`` with ``name`` and ``size`` (what forms' FileField reads), but it is not
    a File and has no ``read()``: the content is ``blob_store().open(received.blob.name)``.

    Until ``keep()`` is called, its blob is deleted by ``discard()``, which Django calls (as
    ``close()``) at the end of the request. Only a blob this upload created is deleted: when
    the store held the same content already, that blob is someone else's."""

    def __init__(
        self,
        *,
        field_name: str,
        display_name: str,
        media_type: str,
        blob: StoredBlob,
        store: BlobStore,
        created: bool,
        siblings: list["ReceivedFile"],
    ):
        self.field_name, self.display_name, self.media_type = field_name, display_name, media_type
        self.blob, self.size = blob, blob.size
        self._store, self._created, self._siblings = store, created, siblings
        self.kept = self.discarded = False

    @property
    def name(self) -> str:
        return self.display_name

    @property
    def created(self) -> bool:
        """Whether this upload put the blob in the store (False: the same content was there)."""
        return self._created

    def __repr__(self) -> str:
        return f"<ReceivedFile {self.field_name}: {self.media_type}, {self.size} bytes>"

    def keep(self) -> None:
        """The caller has saved a reference to ``blob``: it stays after the request."""
        if self.discarded:
            raise ValueError("this upload was discarded already")
        self.kept = True

    def discard(self) -> None:
        if self.kept or self.discarded:
            return
        self.discarded = True
        # The same content twice in one request is one blob: kept if either copy is.
        shared = any(s.blob.name == self.blob.name and s.kept for s in self._siblings)
        if self._created and not shared:
            self._store.delete(self.blob.name)

    close = discard


class EncryptingUploadHandler(FileUploadHandler):
    """Streams each uploaded file into a ``BlobWriter``. At most ``max_files`` files per
    request and ``max_bytes`` per file; empty files and types ``media.sniff`` does not accept
    are refused. Refused files are skipped (their remaining bytes are read and dropped, their
    partial blob aborted) and recorded in ``refusals``; the form's other fields still parse.
    Received files are in ``request.FILES`` and in ``received``."""

    def __init__(
        self,
        request: HttpRequest | None = None,
        *,
        max_bytes: int,
        max_files: int,
        store: BlobStore | None = None,
        any_type: bool = False,
    ):
        super().__init__(request)
        # max_files=0 receives nothing (every file is refused, the rest of the form parses):
        # a view that must refuse files, e.g. over a rate limit, still gets the typed text.
        if max_bytes < 1 or max_files < 0:
            raise ValueError("max_bytes must be positive and max_files not negative")
        self.max_bytes, self.max_files = max_bytes, max_files
        # Evidence is kept whatever it is (a chat export, a document, a video in any
        # container): any_type receives every non-empty file as it is, typed
        # "application/octet-stream" where sniffing does not know it.
        self.any_type = any_type
        self.store = store or blob_store()
        self.received: list[ReceivedFile] = []
        self.refusals: list[RefusedFile] = []
        self._files_seen = 0
        self._writer: BlobWriter | None = None

    def new_file(self, field_name, file_name, content_type, content_length, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, content_length, *args, **kwargs)
        self._drop_current()
        self._name = display_name(file_name)
        self._size = 0
        self._head = bytearray()
        self._media_type: str | None = None
        self._text: TextCheck | None = None
        self._files_seen += 1
        if self._files_seen > self.max_files:
            self._refuse(TOO_MANY, count=self.max_files)
        # The part's own length, when a client sends one: no need to read it to refuse it.
        if content_length is not None and content_length > self.max_bytes:
            self._refuse(TOO_LARGE, limit=_lazy_filesize(self.max_bytes))
        self._writer = self.store.writer()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self._writer is None:
            return None
        self._size += len(raw_data)
        if self._size > self.max_bytes:
            self._refuse(TOO_LARGE, limit=_lazy_filesize(self.max_bytes))
        if self._media_type is None:
            missing = SNIFF_BYTES - len(self._head)
            self._head += raw_data[:missing]
            if len(self._head) >= SNIFF_BYTES:
                self._decide_type()
                self._check_text(raw_data[missing:])
        else:
            self._check_text(raw_data)
        self._writer.write(raw_data)
        return None  # no other handler sees the data

    def file_complete(self, file_size: int) -> ReceivedFile | None:
        writer = self._writer
        if writer is None:
            return None
        try:
            if self._size == 0:
                self._refuse(EMPTY)
            if self._media_type is None:
                self._decide_type()
            if self._text is not None and not self._text.feed(b"", final=True):
                self._refuse(NOT_ACCEPTED)
        except SkipFile:
            return None
        self._writer = None
        blob = writer.finish()
        received = ReceivedFile(
            field_name=self.field_name,
            display_name=self._shown_name(),
            media_type=self._media_type,
            blob=blob,
            store=self.store,
            created=bool(writer.created),
            siblings=self.received,
        )
        self.received.append(received)
        return received

    def upload_interrupted(self) -> None:
        self._drop_current()

    def upload_complete(self) -> None:
        self._drop_current()

    def _decide_type(self) -> None:
        self._media_type = sniff(bytes(self._head))
        if self.any_type:
            self._media_type = self._media_type or "application/octet-stream"
            return
        if self._media_type is None:
            self._refuse(NOT_ACCEPTED)
        if self._media_type == "text/plain":  # the start is text: so must the rest be
            self._text = TextCheck()
            self._check_text(bytes(self._head))

    def _check_text(self, data: bytes) -> None:
        if self._text is not None and data and not self._text.feed(data):
            self._refuse(NOT_ACCEPTED)

    def _shown_name(self) -> str:
        return self._name or UNNAMED + EXTENSIONS.get(self._media_type or "", "")

    def _refuse(self, message, **params) -> None:
        self._drop_current()
        name = self._shown_name()
        self.refusals.append(
            RefusedFile(self.field_name, name, MediaRefused(message, name=name, **params))
        )
        raise SkipFile

    def _drop_current(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None


def use_encrypting_uploads(
    request: HttpRequest,
    *,
    max_bytes: int,
    max_files: int,
    store: BlobStore | None = None,
    any_type: bool = False,
) -> EncryptingUploadHandler:
    """Make this request's files go to the blob store through ``EncryptingUploadHandler``.
    Must run before anything reads ``request.POST`` or ``request.FILES``: CsrfViewMiddleware
    does, so the view is ``csrf_exempt`` and calls a ``csrf_protect`` inner view after this
    (see the module's docstring; Django's "Modifying upload handlers on the fly")."""
    handler = EncryptingUploadHandler(
        request, max_bytes=max_bytes, max_files=max_files, store=store, any_type=any_type
    )
    try:
        request.upload_handlers = [handler]
    except AttributeError:
        raise ImproperlyConfigured(
            "The request body was read before use_encrypting_uploads(): make the view "
            "csrf_exempt and check CSRF in a csrf_protect inner view called after it."
        ) from None
    return handler


def received_files(request: HttpRequest, field: str) -> tuple[list[ReceivedFile], list[str]]:
    """The files received for ``field``, and a message for each file of that field that was
    refused (in the active language), in the order they came."""
    handlers = [h for h in request.upload_handlers if isinstance(h, EncryptingUploadHandler)]
    if not handlers:
        raise ImproperlyConfigured("call use_encrypting_uploads(request, …) first")
    files = [f for f in request.FILES.getlist(field) if isinstance(f, ReceivedFile)]
    messages = [r.message for r in handlers[0].refusals if r.field_name == field]
    return files, messages
