"""Encrypted model fields: AES-256-GCM in the application, on both databases.

The associated data binds each value to its table, column and row id, so a ciphertext copied
into another row or column fails to decrypt. Values are decrypted when the attribute is first
read, because the row id is needed and Django's ``from_db_value`` does not know it. A failed
decryption raises ``DecryptionError``; it never yields ciphertext or empty text.

The row id must be known before the value is saved: give models with encrypted fields a
primary key that exists before the insert (a UUID), or set these fields after the first save.
"""

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
