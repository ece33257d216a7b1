"""Free-text responses and channels, as written in coordinators' logs, mapped to kinds."""

import re

# Checked in order: the first kind whose words appear wins ("не можем помочь" is a refusal
# even though it contains "помочь").
_RESPONSE_WORDS = [
    ("none", ["нет ответа", "no answer", "no response", "не ответили", "без ответа"]),
    (
        "declined",
        [
            "отказ",
            "отказали",
            "declined",
            "refused",
            "rejected",
            "не можем помочь",
            "cannot help",
            "can't help",
            "не могут помочь",
            "не наша компетенция",
            "не в нашей компетенции",
            "not our competence",
            "not in our remit",
        ],
    ),
    ("granted", ["виза выдана", "выдали визу", "granted", "approved", "одобрен"]),
    (
        "referred",
        [
            "обратитесь",
            "переадрес",
            "перенаправ",
            "referred",
            "redirected",
            "переслали",
            "направили",
        ],
    ),
    (
        "help_offered",
        [
            "предложили помощь",
            "готовы помочь",
            "help offered",
            "offered help",
            "консультац",
            "помогли",
            "помогут",
            "оплатили",
            "помощь",
            "help with",
        ],
    ),
    (
        "acknowledged",
        [
            "автоответ",
            "auto-reply",
            "autoreply",
            "acknowledged",
            "получили",
            "приняли",
            "ответили",
            "ответ без",
            "рассмотр",
            "обещали",
            "promised",
            "replied",
        ],
    ),
]
_NOTHING = {"", "-", "—", "–", "?"}
RESPONSE_KINDS = {kind for kind, _words in _RESPONSE_WORDS} | {"other"}

_CHANNEL_WORDS = [
    ("email", ["email", "e-mail", "mail", "почта", "имейл", "эл почта", "электронная почта"]),
    ("phone", ["phone", "call", "телефон", "звонок", "позвонили"]),
    ("letter", ["letter", "post", "письмо", "почтой россии", "бумажное"]),
    ("visit", ["visit", "in person", "лично", "визит", "встреча", "meeting"]),
    (
        "web_form",
        ["web form", "webform", "form", "веб-форма", "веб форма", "форма", "сайт", "website"],
    ),
    (
        "messenger",
        [
            "telegram",
            "whatsapp",
            "signal",
            "messenger",
            "мессенджер",
            "телеграм",
            "ватсап",
            "сигнал",
            "viber",
        ],
    ),
]


_SPACES = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACES.sub(" ", str(text or "").casefold().replace("ё", "е")).strip()


def response_kind(text) -> str:
    normal = _normal(text)
    if normal in _NOTHING:
        return "none"
    for kind, words in _RESPONSE_WORDS:
        if any(word in normal for word in words):
            return kind
    return "other"


def channel(text) -> str:
    normal = _normal(text)
    for kind, words in _CHANNEL_WORDS:
        if any(word == normal or word in normal for word in words):
            return kind
    return "other"
