"""Checking a catalogue file: safe YAML read with its line numbers, validated against
``schema.json`` and a few rules the schema cannot say; every problem with the file, the line
and the reason, so that ``waystation pathways check`` and the tests can say what to fix. And,
for translators, each text that still lacks a language."""

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker

from .texts import FALLBACK_LANGUAGE, LANGUAGES, plain

SCHEMA_PATH = Path(__file__).resolve().parent / "schema.json"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def untranslated(data, path=()) -> list[tuple[tuple, tuple[str, ...]]]:
    """Every text of a checked file that lacks one of ``LANGUAGES``, as (path, missing
    languages): what a translator still has to write. Texts are the mappings that hold "en"
    and the plain strings where the schema allows a text."""
    found = []
    if isinstance(data, dict) and FALLBACK_LANGUAGE in data:
        missing = tuple(lang for lang in LANGUAGES if not data.get(lang))
        return [(path, missing)] if missing else []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in _TEXT_FIELDS and isinstance(value, str):
                found.append(((*path, key), LANGUAGES[1:]))
            else:
                found += untranslated(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += untranslated(value, (*path, index))
    return found


def _strings(data, path=()):
    """Every string of a file, with its place."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*path, index))


# The fields that hold a text (plain, or one per language); see "text" in schema.json.
_TEXT_FIELDS = frozenset(
    {
        "name",
        "names",
        "summary",
        "for_whom",
        "text",
        "citation",
        "article",
        "note",
        "where_to_apply",
        "typical_duration",
        "known_refusals",
        "notes",
        "reviewed_by",
    }
)


# -- reading YAML with line numbers -----------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps dates as text (the schema checks them, with a line number, rather
    than the parser failing on 2025-02-30) and refuses a key given twice in one mapping,
    which plain YAML would silently resolve to the last one."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int):
        self.key, self.line = key, line


def _construct_mapping(loader, node, deep=False):
    seen: set = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise _DuplicateKey(str(key), key_node.start_mark.line + 1)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse(text: str) -> tuple[object, yaml.Node | None]:
    """The data and the node tree it came from (the nodes carry the line numbers)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, node


def _line_of(root: yaml.Node, path) -> int:
    """The line of the value at ``path``, or of its key where it has one: the line to edit."""
    node, line = root, root.start_mark.line + 1
    for step in path:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(step)), None)
            if match is None:
                break
            node, line = match[1], match[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                break
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line


# -- checking ---------------------------------------------------------------------------------


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def _where(path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


_TYPE_WORDS = {
    "string": "text",
    "array": "a list",
    "object": "a mapping of fields",
    "boolean": "true or false",
}


def _found(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return f"text {value!r}"


def _reason(error) -> tuple[list, str]:
    """The path whose line to point at, and the reason in words a maintainer of the file can
    act on."""
    path = list(error.absolute_path)
    kind = error.validator
    if kind == "required":
        missing = re.match(r"'(.+)' is a required property", error.message)
        return path, f"missing field '{missing.group(1) if missing else error.message}'"
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        extra = sorted(str(key) for key in error.instance if key not in known)
        return path + extra[:1], f"unknown field '{extra[0]}'" if extra else error.message
    if kind == "enum":
        options = ", ".join(str(option) for option in error.validator_value)
        return path, f"{error.instance!r} is not one of: {options}"
    if kind == "type":
        types = error.validator_value
        types = [types] if isinstance(types, str) else types
        if sorted(types) == ["object", "string"]:
            wanted = "text, or a mapping of languages (en, ru, de, uk)"
        else:
            wanted = " or ".join(_TYPE_WORDS.get(kind, kind) for kind in types)
        return path, f"expected {wanted}, found {_found(error.instance)}"
    if kind in {"format", "pattern"} and path and path[-1] == "last_reviewed":
        return path, f"{error.instance!r} is not a date written YYYY-MM-DD"
    if kind == "pattern":
        return path, f"{error.instance!r} does not have the expected form ({error.validator_value})"
    if kind == "minItems":
        return path, "needs at least one entry"
    if kind == "minLength":
        return path, "must not be empty"
    if kind == "uniqueItems":
        return path, "lists the same entry twice"
    return path, error.message


def display_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path)


def check_file(path: Path, today: date | None = None) -> tuple[dict | None, list[Problem]]:
    """The file's data if it is valid, and every problem found in it."""
    name = display_name(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        return None, [Problem(name, 1, f"cannot read the file: {problem}")]
    try:
        data, root = _parse(text)
    except _DuplicateKey as duplicate:
        return None, [Problem(name, duplicate.line, f"field '{duplicate.key}' is given twice")]
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        what = getattr(problem, "problem", None) or str(problem)
        return None, [Problem(name, line, f"YAML syntax error: {what}")]
    if root is None:
        return None, [Problem(name, 1, "the file is empty")]

    problems = []
    for error in _validator().iter_errors(data):
        path_to, reason = _reason(error)
        where = _where(error.absolute_path)
        problems.append(
            Problem(name, _line_of(root, path_to), f"{where}: {reason}" if where else reason)
        )
    if problems:
        # A value can break two rules with one reason (a date's pattern and its format).
        return None, sorted(dict.fromkeys(problems), key=lambda problem: problem.line)

    if data["id"] != path.stem:
        problems.append(
            Problem(
                name,
                _line_of(root, ["id"]),
                f"id: {data['id']!r} differs from the file name; name the file {data['id']}.yaml"
                " or change the id",
            )
        )
    for where, text in _strings(data):
        if ("[[" in text or "]]" in text) and ("[[" in plain(text) or "]]" in plain(text)):
            problems.append(
                Problem(
                    name,
                    _line_of(root, list(where)),
                    f"{_where(where)}: a fragment in another language is written "
                    "[[de:Aufenthaltsgesetz]] (a language code, a colon, the text)",
                )
            )
    seen: set[str] = set()
    for index, criterion in enumerate(data["criteria"]):
        if criterion["id"] in seen:
            problems.append(
                Problem(
                    name,
                    _line_of(root, ["criteria", index, "id"]),
                    f"criteria[{index}].id: duplicate criterion id {criterion['id']!r}",
                )
            )
        seen.add(criterion["id"])
    if date.fromisoformat(data["last_reviewed"]) > (today or timezone.localdate()):
        problems.append(
            Problem(
                name,
                _line_of(root, ["last_reviewed"]),
                f"last_reviewed: {data['last_reviewed']} is in the future",
            )
        )
    return (None if problems else data), problems


def translation_gaps(path: Path) -> list[Problem]:
    """For a valid file: each text that lacks a language, with its line, for translators.
    Not a problem for the loader (the page falls back to English with a note); the shipped
    files have none (a test checks)."""
    try:
        data, root = _parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, _DuplicateKey):
        return []
    if root is None:
        return []
    name = display_name(path)
    return [
        Problem(name, _line_of(root, list(where)), f"{_where(where)}: no {', '.join(missing)}")
        for where, missing in untranslated(data)
    ]
