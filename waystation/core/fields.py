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
import decimal
import functools
import re
import unicodedata

from django import forms
from django.core import validators
from django.db import connection as db_connection
from django.db import migrations, models
from django.db.backends.utils import format_number
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


class _SealedOnServer:
    """What the fields sealed on PostgreSQL share: the ``json`` column there, the key, the
    associated data (table and column) and the refusal of lookups."""

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def _aad(self) -> bytes:
        return _server_aad(self.model._meta.db_table, self.column)

    def _seal(self, text: str) -> str:
        return _sealed_value(text, crypto.sealer(self._key()), self._aad())

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

    @staticmethod
    def _key() -> bytes:
        return KEYRING.subkey(Purpose.SERVER_FIELDS)

    def get_lookup(self, lookup_name):
        lookup = super().get_lookup(lookup_name)
        if lookup is None or lookup_name == "isnull":
            return lookup
        return _refused_on_postgresql(lookup)


class ServerSealedTextField(_SealedOnServer, models.TextField):
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:  # in place of a CharField: its length still checked
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        if connection.vendor != "postgresql" or value is None:
            return value
        if not value:
            return '""'
        return self._seal(str(value))

    def from_db_value(self, value, expression, connection):
        if value is None or connection.vendor != "postgresql":
            return value
        return self.open(value)

    def sealer(self, connection):
        """For writing many rows without model objects (COPY, bulk inserts): a function text ->
        what to store on this connection, exactly what saving a model would store."""
        if connection.vendor != "postgresql":
            return lambda text: text
        seal, aad = crypto.sealer(self._key()), self._aad()
        return lambda text: _sealed_value(text, seal, aad)

    def formfield(self, **kwargs):
        # In place of a CharField (max_length given): a one-line input, as before.
        if self.max_length and not self.choices:
            kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(**kwargs)


class ServerSealedDecimalField(_SealedOnServer, models.DecimalField):
    """A number kept as ``decimal`` in the embedded database, sealed on PostgreSQL as
    ``ServerSealedTextField`` seals text (an event's latitude and longitude: where a detention
    happened). The code sees a ``Decimal`` or None on both; the sealed text is the number as
    ``numeric(max_digits, decimal_places)`` prints it (``47.813579``), so the migration that
    seals an existing numeric column (``sealing_operation``) and a save write the same. On
    PostgreSQL no lookup but ``isnull`` (``SealedOnServer``), and no ordering or aggregate over
    it in the database (``json`` has none): compare, sort and sum such values in memory.
    """

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        if connection.vendor != "postgresql" or value is None or hasattr(value, "as_sql"):
            return value
        return self._seal(format_number(value, self.max_digits, self.decimal_places))

    def from_db_value(self, value, expression, connection):
        if value is None or connection.vendor != "postgresql":
            return value
        text = self.open(value)
        return decimal.Decimal(text) if text else None


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


def _server_aad(table: str, column: str) -> bytes:
    return f"{table}|{column}".encode()


def _open_server_value(stored, aad: bytes, key: bytes) -> str:
    if isinstance(stored, str) and stored.startswith('"'):
        stored = stored[1:-1]
    if not stored:
        return ""
    return crypto.unseal(key, base64.b64decode(stored, validate=True), aad).decode("utf-8")


def seal_column(schema_editor, table: str, column: str, *, batch: int = 2000) -> None:
    """Migration step: turn a text (or numeric, jsonb) column into a ``ServerSealedTextField``'s
    (``ServerSealedDecimalField``'s) on PostgreSQL, sealing the rows already there, in the
    migration's transaction (nothing on SQLite; NULL stays NULL). Use it through
    ``sealing_operation`` in ``SeparateDatabaseAndState`` beside the ``AlterField`` of the state
    (the column's type on SQLite does not change). Drop any index over the column first: json
    has no btree."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    t, c = quote(table), quote(column)
    # Checked at once, so that no deferred check of the rows updated below is left pending
    # when the next column of the table is altered (PostgreSQL refuses that).
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute(f"ALTER TABLE {t} ALTER COLUMN {c} TYPE json USING to_json({c})")
    seal, aad = crypto.sealer(KEYRING.subkey(Purpose.SERVER_FIELDS)), _server_aad(table, column)
    last = None  # any key type (integers, UUIDs): the first batch has no lower bound
    with connection.cursor() as cursor:
        while True:
            after, params = ("TRUE", []) if last is None else ("id > %s", [last])
            cursor.execute(
                f"SELECT id, {c} #>> '{{}}' FROM {t} WHERE {after} AND {c}::text <> '\"\"' "  # noqa: S608
                "ORDER BY id LIMIT %s",
                [*params, batch],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            values = [(pk, _sealed_value(text, seal, aad)) for pk, text in rows]
            cursor.execute(
                f"UPDATE {t} SET {c} = v.sealed::json FROM (VALUES "  # noqa: S608
                + ", ".join(["(%s, %s)"] * len(values))
                + f") AS v(id, sealed) WHERE {t}.id = v.id",
                [value for row in values for value in row],
            )
    schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def unseal_column(schema_editor, table: str, column: str, *, batch: int = 2000) -> None:
    """The reverse of ``seal_column``: the column back to clear ``text`` on PostgreSQL (NULL
    stays NULL); ``sealing_operation`` gives it back its type when that was not text."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    t, c = quote(table), quote(column)
    key, aad = KEYRING.subkey(Purpose.SERVER_FIELDS), _server_aad(table, column)
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute(f"ALTER TABLE {t} ADD COLUMN ws_clear text")
    last = None
    with connection.cursor() as cursor:
        while True:
            after, params = ("TRUE", []) if last is None else ("id > %s", [last])
            cursor.execute(
                f"SELECT id, {c} #>> '{{}}' FROM {t} WHERE {after} ORDER BY id LIMIT %s",  # noqa: S608
                [*params, batch],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            values = [
                (pk, None if text is None else _open_server_value(text, aad, key))
                for pk, text in rows
            ]
            cursor.execute(
                f"UPDATE {t} SET ws_clear = v.clear FROM (VALUES "  # noqa: S608
                + ", ".join(["(%s, %s)"] * len(values))
                + f") AS v(id, clear) WHERE {t}.id = v.id",
                [value for row in values for value in row],
            )
    schema_editor.execute(
        f"ALTER TABLE {t} ALTER COLUMN {c} TYPE text USING coalesce(ws_clear, {c} #>> '{{}}')"
    )
    schema_editor.execute(f"ALTER TABLE {t} DROP COLUMN ws_clear")
    schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def sealing_operation(sealed, *, types=None) -> migrations.RunPython:
    """The migration step that seals the columns ``sealed`` ((table, column) pairs, in that
    order) on PostgreSQL with ``seal_column`` and, migrating backwards, opens them again with
    ``unseal_column``; nothing on SQLite. ``types`` maps a (table, column) whose clear column
    was not ``text`` to its type (``jsonb``, ``numeric(9, 6)``), given back after unsealing.
    Put it in ``SeparateDatabaseAndState(database_operations=[...])`` beside the state's
    ``AlterField``s (the ``*_sealed_on_server`` migrations)."""
    sealed, types = tuple(sealed), dict(types or {})

    def seal(apps, schema_editor):
        for table, column in sealed:
            seal_column(schema_editor, table, column)

    def unseal(apps, schema_editor):
        for table, column in sealed:
            unseal_column(schema_editor, table, column)
            kind = types.get((table, column))
            if kind and schema_editor.connection.vendor == "postgresql":
                t, c = schema_editor.quote_name(table), schema_editor.quote_name(column)
                schema_editor.execute(
                    f"ALTER TABLE {t} ALTER COLUMN {c} TYPE {kind} USING {c}::{kind}"
                )

    return migrations.RunPython(seal, unseal)


# Blind index --------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits: "_" separates, as in FTS5


class _LatinFolding(dict):
    """str.translate's table, filled as characters come: a Latin letter with diacritics
    becomes its base letter (é → e), as FTS5's ``remove_diacritics`` does; other scripts keep
    theirs (ё, й stay: FTS5 keeps them too, and both databases must find the same notes)."""

    def __missing__(self, code):
        char = chr(code)
        parts = unicodedata.normalize("NFD", char)
        base, marks = parts[0], parts[1:]
        plain = marks and ord(base) < 0x250 and all(unicodedata.combining(m) for m in marks)
        folded = self[code] = base if plain else char
        return folded


_FOLD = _LatinFolding()


def search_words(text: str) -> list[str]:
    """The words of a text as the blind index sees them: lower case, Latin diacritics
    dropped, split as FTS5's unicode61 tokenizer splits (letters and digits)."""
    return _WORD.findall(text.lower().translate(_FOLD))


class BlindIndex:
    """Keyed digests of words and of their beginnings, for matching text that the database
    holds only sealed (PostgreSQL). Each token is HMAC-SHA256 under an instance sub-key,
    truncated to 64 bits (a signed bigint).

    A word of length L gives its beginnings of ``MIN_PREFIX`` .. min(L, ``MAX_PREFIX``)
    letters (a word shorter than ``MIN_PREFIX`` gives itself). A query word matches a word
    that begins with it: one of ``MIN_PREFIX`` letters or more is looked up as a beginning;
    a shorter one finds only that whole short word; a longer one than ``MAX_PREFIX`` is looked
    up by its first ``MAX_PREFIX`` letters (words that share them but differ later match too).
    The digests of a text are sorted and distinct: their order says nothing of the words'.
    """

    MIN_PREFIX = 3
    MAX_PREFIX = 16

    def __init__(self, purpose: Purpose):
        self._key = KEYRING.subkey(purpose)
        # For this object's life only (one write, one import): word -> its digests.
        self._memo: dict[str, tuple[int, ...]] = {}

    def token(self, piece: str) -> int:
        digest = crypto.hmac_sha256(self._key, piece.encode("utf-8"))
        return int.from_bytes(digest[:8], "big", signed=True)

    def _of_word(self, word: str) -> tuple[int, ...]:
        found = self._memo.get(word)
        if found is None:
            low, high = self.MIN_PREFIX, self.MAX_PREFIX
            if len(word) < low:
                found = (self.token(word),)
            else:
                found = tuple(self.token(word[:k]) for k in range(low, min(len(word), high) + 1))
            self._memo[word] = found
        return found

    def of_text(self, text: str) -> list[int]:
        found = set()
        for word in set(search_words(text or "")):
            found.update(self._of_word(word))
        return sorted(found)

    def of_query(self, words: list[str]) -> list[int]:
        """One digest per query word (the words as ``search_words`` gives them)."""
        return sorted({self.token(word[: self.MAX_PREFIX]) for word in words})


class BlindIndexField(models.Field):
    """The blind index of another field of the row, on PostgreSQL only: a ``bigint[]`` of
    ``BlindIndex`` digests of the ``source`` field's text, computed when the row is saved
    (``save``, ``create``, ``bulk_create``); search it with ``@>`` over a GIN index. On SQLite
    the column (``text``) stays NULL: the file is encrypted whole and FTS5 serves there.

    ``QuerySet.update`` and raw inserts do not call it: a model with one updates it with its
    source (see cases.models.Note), and bulk writers give ``BlindIndex.of_text`` themselves.
    Without a ``source``, the database keeps the column (see cases.models.NoteDigests) and
    saving writes it as it is."""

    def __init__(self, *args, source: str = "", purpose: str = "", **kwargs):
        self.source, self.purpose = source, purpose
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, purpose=str(self.purpose))
        for default in ("null", "blank", "editable"):
            kwargs.pop(default, None)
        return name, path, args, kwargs

    def db_type(self, connection):
        return "bigint[]" if connection.vendor == "postgresql" else "text"

    def index_of(self, text: str, connection) -> list[int] | None:
        if connection.vendor != "postgresql":
            return None
        return BlindIndex(Purpose(self.purpose)).of_text(text)

    def pre_save(self, model_instance, add):
        if not self.source:
            return getattr(model_instance, self.attname)
        value = self.index_of(getattr(model_instance, self.source), db_connection)
        setattr(model_instance, self.attname, value)
        return value

    def get_db_prep_value(self, value, connection, prepared=False):
        return value if connection.vendor == "postgresql" else None

    def value_to_string(self, obj):
        return ""


def with_blind_indexes(model, update_fields):
    """``save(update_fields=…)`` of a model with blind indexes: the indexes of the fields
    saved go with them (a correction saves the text alone)."""
    if update_fields is None:
        return None
    fields = set(update_fields)
    for field in model._meta.concrete_fields:
        if isinstance(field, BlindIndexField) and field.source in fields:
            fields.add(field.name)
    return fields


class BlindIndexQuerySet(models.QuerySet):
    """``update(text=…)`` keeps the blind index of ``text`` in step (a plain value only: an
    expression cannot be indexed in the application, and is refused for such a field)."""

    def update(self, **kwargs):
        for field in self.model._meta.concrete_fields:
            if isinstance(field, BlindIndexField) and field.source in kwargs:
                value = kwargs[field.source]
                if hasattr(value, "resolve_expression"):
                    raise SealedOnServer(f"{field.source} has a blind index: set it to text")
                kwargs[field.name] = field.index_of(value, db_connection)
        return super().update(**kwargs)
