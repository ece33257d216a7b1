"""A file named with a thousand characters (issue 18, finding 12) no longer makes the portal
answer a bare "Bad Request" that loses the typed message: the request is received, the file
under a shortened name."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from waystation.intake import ratelimit
from waystation.intake.models import IntakeRequest

pytestmark = pytest.mark.django_db

BOUNDARY = "----waystation-test-boundary"


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path, monkeypatch):
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(tmp_path)}
    monkeypatch.setattr(ratelimit, "LIMITER", ratelimit.RateLimiter())


def _multipart(fields: dict, file_name: str, content: bytes) -> bytes:
    """Built by hand: Django's test client would shorten the name to 255 characters first."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="{file_name}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def test_a_thousand_character_file_name_keeps_the_request(settings):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("intake:new")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    name = "фото_" + "очень_длинное_имя_" * 60 + ".txt"
    assert len(name) > 1000
    body = _multipart(
        {"csrfmiddlewaretoken": token, "urgency": "transit", "text": "Меня задержали в Оше"},
        name,
        b"plain text content\n",
    )
    response = client.post(
        reverse("intake:new"), body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert response.status_code == 200, response.content[:300]
    assert "Sent. This is your codename" in response.content.decode()
    request = IntakeRequest.objects.get()
    message = request.messages.get()
    assert message.text == "Меня задержали в Оше"
    (attachment,) = message.attachments.all()
    assert len(attachment.name) <= 120 and attachment.name.startswith("фото_очень_длинное_имя_")
    assert attachment.name.endswith(".txt")
