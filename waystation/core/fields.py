"""Encrypted model fields: AES-256-GCM in the application, on both databases.

The associated data binds each value to its table, column and row id, so a ciphertext copied
into another row or column fails to decrypt. Values are decrypted when the attribute is first
read, because the row id is needed and Django's ``from_db_value`` does not know it. A failed
decryption raises ``DecryptionError``; it never yields ciphertext or empty text.

The row id must be known before the value is saved: give models with encrypted fields a
primary key that exists before the insert (a UUID), or set these fields after the first save.
"""

import base64
import binascii
import functools

from django import forms
from django.db import models
from django.utils.text import capfirst

from . import crypto
from .keyring import KEYRING, Purpose


class _Ciphertext(bytes):
    """Bytes as read from the database, not yet decrypted."""


class _EncryptedDescriptor:
    def __init__(self, field):
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        if self.field.attname not in instance.__dict__:  # deferred: load it, never assume ""
            instance.refresh_from_db(fields=[self.field.attname])
        value = instance.__dict__.get(self.field.attname)
        if isinstance(value, _Ciphertext):
            value = self.field.decrypt(instance, value)
            instance.__dict__[self.field.attname] = value
        elif value == b"":
            return ""
        return value

    def __set__(self, instance, value):
        if isinstance(value, memoryview):
            value = _Ciphertext(bytes(value))
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.BinaryField):
    """Text stored as nonce ‖ ciphertext ‖ tag. Empty text is stored as empty bytes (nothing
    to hide); it is not searchable or sortable, by design."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("editable", True)
        kwargs.setdefault("default", b"")  # Django requires bytes here; it reads as ""
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        setattr(cls, self.attname, _EncryptedDescriptor(self))

    def _aad(self, instance) -> bytes:
        if instance.pk is None:
            raise ValueError(
                f"{instance._meta.label}.{self.name} is encrypted with the row id, which is not "
                "known yet: save the row first or give the model a UUID primary key"
            )
        return f"{instance._meta.db_table}|{self.column}|{instance.pk}".encode()

    def decrypt(self, instance, ciphertext: bytes) -> str:
        if not ciphertext:
            return ""
        key = KEYRING.subkey(Purpose.FIELDS)
        return crypto.unseal(key, bytes(ciphertext), self._aad(instance)).decode("utf-8")

    def pre_save(self, model_instance, add):
        value = model_instance.__dict__.get(self.attname)
        if isinstance(value, _Ciphertext):
            # Unchanged since it was read; re-encrypting would still be bound to this row.
            return bytes(value)
        if not value:  # None, "" or the b"" default
            return b""
        key = KEYRING.subkey(Purpose.FIELDS)
        return crypto.seal(key, str(value).encode("utf-8"), self._aad(model_instance))

    def sealer(self):
        """For writing many rows without model objects (imports): a function (row id, text)
        -> the bytes to store, exactly what saving that row would store."""
        seal = crypto.sealer(KEYRING.subkey(Purpose.FIELDS))
        prefix = f"{self.model._meta.db_table}|{self.column}|"

        def stored(pk, text) -> bytes:
            if not text:
                return b""
            return seal(str(text).encode("utf-8"), f"{prefix}{pk}".encode())

        return stored

    def from_db_value(self, value, expression, connection):
        return None if value is None else _Ciphertext(bytes(value))

    def to_python(self, value):
        return value

    def value_to_string(self, obj):
        raise TypeError("encrypted fields are not serialised in the clear")

    def formfield(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea)
        kwargs.setdefault("required", not self.blank)
        # capfirst keeps a lazy translation lazy: forms are built at import, in no language.
        kwargs.setdefault("label", capfirst(self.verbose_name))
        kwargs.setdefault("help_text", self.help_text)
        for model_only in ("form_class", "choices_form_class", "max_length"):
            kwargs.pop(model_only, None)
        return forms.CharField(**kwargs)


# Sealed on PostgreSQL only ---------------------------------------------------------------------


class SealedOnServer(Exception):
    """A query that would compare, match or sort a field sealed on PostgreSQL in the database,
    where only ciphertext is: refused, rather than answered wrongly."""


def _sealed_value(text: str, seal, aad: bytes) -> str:
    """The JSON text stored on PostgreSQL: a JSON string of base64(nonce ‖ ciphertext ‖ tag);
    empty text as an empty JSON string (its length would show it anyway)."""
    if not text:
        return '""'
    return '"' + base64.b64encode(seal(text.encode("utf-8"), aad)).decode("ascii") + '"'


class ServerSealedTextField(models.TextField):
    """Text kept in the clear on the embedded database, sealed on PostgreSQL.

    Embedded (SQLite): the whole file is SQLCipher-encrypted, so the column holds plain
    ``text``; lookups, sorting, grouping and the FTS5 index over it keep working.

    PostgreSQL: the column's type is ``json`` and it holds a JSON string of base64(nonce ‖
    AES-256-GCM ciphertext ‖ tag) under ``Purpose.SERVER_FIELDS``. ``json`` is chosen over
    ``bytea`` on purpose: PostgreSQL has no equality and no ordering operator for it, so an
    ORDER BY, GROUP BY, DISTINCT or ``=`` over the column fails loudly instead of sorting or
    grouping ciphertext silently. Django lookups on the field are refused with
    ``SealedOnServer`` there, except ``isnull`` and equality with the empty text. Sort, group
    or match such values in memory, or keep a keyed digest beside them where equality is needed.

    The associated data binds each value to its table and column, NOT to its row: the models
    using it get their ids from the database at the insert (auto-increment), and bulk inserts
    (``core/bulk.py``, by COPY) write many rows at once, so the row is not known when the value
    is sealed. A value copied into another row of the same column by someone who can write the
    database decrypts there. (Values whose row must be bound, as the identity vault's, use
    ``EncryptedTextField``, which encrypts on both databases, bound to a primary key known
    before the insert.) Reading a value sealed under another key, or altered, raises
    ``crypto.DecryptionError``: never ciphertext, never empty text.

    The same migrations serve both databases: the type is chosen per connection (``db_type``).
    Turning an existing text column into this one on PostgreSQL needs a data migration that
    seals the rows already there (see ``seal_column``).
    """

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def _aad(self) -> bytes:
        return f"{self.model._meta.db_table}|{self.column}".encode()

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        if connection.vendor != "postgresql" or value is None:
            return value
        if not value:
            return '""'
        return _sealed_value(str(value), crypto.sealer(self._key()), self._aad())

    def from_db_value(self, value, expression, connection):
        if value is None or connection.vendor != "postgresql":
            return value
        return self.open(value)

    def open(self, stored) -> str:
        """The text of a value as PostgreSQL holds it: the JSON string psycopg parsed (or its
        raw JSON text). Raises ``crypto.DecryptionError`` on a wrong key or altered value."""
        if isinstance(stored, str) and stored.startswith('"'):
            stored = stored[1:-1]  # raw JSON text (base64 holds no quote or backslash)
        if not stored:
            return ""
        try:
            sealed = base64.b64decode(stored, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise crypto.DecryptionError("not a sealed value") from None
        return crypto.unseal(self._key(), sealed, self._aad()).decode("utf-8")

    def sealer(self, connection):
        """For writing many rows without model objects (COPY, bulk inserts): a function text ->
        what to store on this connection, exactly what saving a model would store."""
        if connection.vendor != "postgresql":
            return lambda text: text
        seal, aad = crypto.sealer(self._key()), self._aad()
        return lambda text: _sealed_value(text, seal, aad)

    @staticmethod
    def _key() -> bytes:
        return KEYRING.subkey(Purpose.SERVER_FIELDS)

    def get_lookup(self, lookup_name):
        lookup = super().get_lookup(lookup_name)
        if lookup is None or lookup_name == "isnull":
            return lookup
        return _refused_on_postgresql(lookup)


@functools.cache
def _refused_on_postgresql(lookup):
    def as_postgresql(self, compiler, connection):
        if self.lookup_name == "exact" and self.rhs == "":
            lhs, params = compiler.compile(self.lhs)
            return f"({lhs})::text = '\"\"'", params
        target = getattr(self.lhs, "target", None)
        raise SealedOnServer(
            f"{getattr(target, 'model', None).__name__}.{getattr(target, 'name', '?')} is sealed "
            f"on PostgreSQL: it cannot be matched ({self.lookup_name}) in the database"
        )

    return type(lookup.__name__, (lookup,), {"as_postgresql": as_postgresql})
