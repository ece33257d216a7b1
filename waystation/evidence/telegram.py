"""Telegram Desktop chat exports (a folder with result.json and the media), received as a ZIP."""

from dataclasses import dataclass
from datetime import datetime

from waystation.core.blobstore import StoredBlob


class ChatExportError(Exception):
    """The export cannot be read; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class ChatLine:
    position: int
    sent_at: datetime | None
    sender: str
    text: str
    media: str


def is_chat_export(blob: StoredBlob, media_type: str) -> bool:
    return False


def parse(blob: StoredBlob) -> list[ChatLine]:
    raise ChatExportError("not implemented")
