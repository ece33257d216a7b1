"""This instance's partner card: what another group needs to send to it and to trust what it
sends. A small text file with a name, an instance id, the Ed25519 key that signs packages and
the age key packages are encrypted to. Both keys come from the key ring (a panic destroys
them); the card itself holds nothing secret.

The fingerprint is what people compare by phone or in person before adding a partner: six
groups of five digits, derived from both keys, so a card swapped on the way shows another one.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from waystation.core import partner_crypto, signing
from waystation.core.refusals import Refusal

CARD_TITLE = "Waystation partner card"
_FIELDS = ("name", "instance", "signing-key", "age-recipient", "fingerprint")
NAME_MAX = 120


class CardError(Refusal):
    """A card that cannot be read or does not hold together."""


@dataclass(frozen=True)
class Card:
    name: str
    signing_key: str  # "ed25519:<base64>"
    age_recipient: str  # "age1…"

    @property
    def instance_id(self) -> str:
        return instance_id_of(self.signing_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self)

    def to_text(self) -> str:
        return (
            f"{CARD_TITLE}\n"
            f"name: {self.name}\n"
            f"instance: {self.instance_id}\n"
            f"signing-key: {self.signing_key}\n"
            f"age-recipient: {self.age_recipient}\n"
            f"fingerprint: {self.fingerprint}\n"
        )

    @classmethod
    def parse(cls, text: str) -> "Card":
        """The card in ``text``, or ``CardError`` saying what is wrong with it."""
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        if not lines or lines[0] != CARD_TITLE:
            raise CardError(_("This is not a Waystation partner card."))
        values: dict[str, str] = {}
        for line in lines[1:]:
            key, sep, value = line.partition(":")
            key = key.strip().lower()
            if not sep or key not in _FIELDS:
                raise CardError(_("The card has a line it does not expect: %(line)s"), line=line)
            values[key] = value.strip()
        missing = [field for field in _FIELDS if not values.get(field)]
        if missing:
            raise CardError(_("The card lacks: %(fields)s."), fields=", ".join(missing))
        name = values["name"]
        if len(name) > NAME_MAX or not name.isprintable():
            raise CardError(_("The name on the card is too long or holds odd characters."))
        _check_signing_key(values["signing-key"])
        try:
            signing.age_recipient(values["age-recipient"])
        except ValueError:
            raise CardError(_("The card's age key is not an age public key.")) from None
        card = cls(
            name=name, signing_key=values["signing-key"], age_recipient=values["age-recipient"]
        )
        if values["instance"] != card.instance_id or values["fingerprint"] != card.fingerprint:
            raise CardError(
                _(
                    "The card's instance id or fingerprint does not match its keys: it was "
                    "changed. Ask the partner for the card again."
                )
            )
        return card


def _check_signing_key(text: str) -> None:
    try:
        raw = base64.b64decode(text.removeprefix(signing.PREFIX), validate=True)
    except binascii.Error:
        raw = b""
    if not text.startswith(signing.PREFIX) or len(raw) != 32:
        raise CardError(_("The card's signing key is not an Ed25519 public key."))


def instance_id_of(signing_key: str) -> str:
    """A short name for an instance, from its signing key: what packages name it by."""
    digest = hashlib.sha256(b"waystation instance id v1\n" + signing_key.encode()).digest()
    return "ws-" + base64.b32encode(digest[:10]).decode().lower()


def fingerprint(card: Card) -> str:
    """Six groups of five digits to read aloud, from both keys."""
    digest = hashlib.sha256(
        f"waystation card fingerprint v1\n{card.signing_key}\n{card.age_recipient}\n".encode()
    ).digest()
    groups = [int.from_bytes(digest[i : i + 5], "big") % 100000 for i in range(0, 30, 5)]
    return " ".join(f"{group:05d}" for group in groups)


def this_card() -> Card:
    """This instance's card; the instance must be unsealed (``Sealed`` otherwise). Its name is
    the group's public name (WAYSTATION_ORGANISATION), a suggestion: the partner names it."""
    return Card(
        name=settings.EVIDENCE_SOURCE_ORGANIZATION.strip()[:NAME_MAX] or "Waystation",
        signing_key=partner_crypto.card_signing_public_key(),
        age_recipient=partner_crypto.card_age_recipient(),
    )
