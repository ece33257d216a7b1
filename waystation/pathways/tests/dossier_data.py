"""What the dossier tests share: a case's texts in Russian, two files, and how a test makes a
dossier on the page and reads it."""

import io
import os

from django.urls import reverse
from pypdf import PdfReader

LEGAL_NAME = "Сидоров Иван Петрович"
PLACE = "Бишкек, следственный изолятор ГКНБ"
STATEMENT = "Я видел, как расстреляли пленных у школы 14 марта."
PHOTO = os.urandom(150_000)
SCAN = "Военный билет — скан\n".encode() * 400


def url(case) -> str:
    return reverse("dossier:case", kwargs={"pk": case.pk})


def make(client, case, **fields):
    data = {"language": "en", "output": "pdf", **fields}
    return client.post(url(case), data)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())
