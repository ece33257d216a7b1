"""PDF: the document information (title, author, producer, dates…), pages and version,
through pypdf, for files up to ``MAX_PDF_BYTES``."""

from pypdf import PdfReader

from .common import safe_value

MAX_PDF_BYTES = 256 << 20

# -- PDF --------------------------------------------------------------------------------------

_PDF_FIELDS = ("title", "author", "subject", "keywords", "creator", "producer")
_PDF_KEYS = {"/" + name.title() for name in _PDF_FIELDS} | {"/CreationDate", "/ModDate"}


def read_pdf(file, size: int, media_type: str) -> dict:
    if size > MAX_PDF_BYTES:
        return {"error": f"not read: PDF files over {MAX_PDF_BYTES >> 20} MB are not parsed"}
    reader = PdfReader(file, strict=False)
    found: dict = {"pdf_version": reader.pdf_header.removeprefix("%PDF-")}
    if reader.is_encrypted:
        found["encrypted"] = True
        try:  # many are encrypted only against editing, with an empty password to open
            reader.decrypt("")
        except Exception:
            found["error"] = "the PDF is encrypted: its metadata cannot be read"
            return found
    info = reader.metadata or {}
    for name in _PDF_FIELDS:
        found[name] = safe_value(lambda name=name: getattr(info, name))
    for name, key in (
        ("creation_date", "creation_date"),
        ("modification_date", "modification_date"),
    ):
        found[name] = safe_value(lambda key=key: getattr(info, key)) or safe_value(
            lambda key=key: getattr(info, key + "_raw")
        )
    other = {}
    for key in list(info.keys())[:100]:
        if key not in _PDF_KEYS:
            other[str(key).lstrip("/")] = safe_value(lambda key=key: info[key])
    found["other"] = other
    found["pages"] = safe_value(lambda: len(reader.pages))
    return found
