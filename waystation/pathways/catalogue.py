"""The pathway catalogue: reviewed YAML files in ``catalogue/``, checked against ``schema.json``.

The files are the source. Nothing in the database changes them: a proposal made in the web
pages only records that someone must edit a file. Every problem is reported with the file,
the line and the reason (``checking``), so that ``waystation pathways check`` and the tests can
say what to fix. A file with problems is left out of the catalogue; the others are still
served, and the pages tell coordinators which files were left out and why. The texts, in up
to four languages, are in ``texts``.
"""

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .checking import SCHEMA_PATH, Problem, check_file, display_name, translation_gaps, untranslated
from .texts import FALLBACK_LANGUAGE, LANGUAGES, Localized, Texts, localized, plain, texts

# What the rest of the app and its tests read from here.
__all__ = [
    "CATALOGUE_DIR",
    "FALLBACK_LANGUAGE",
    "LANGUAGES",
    "SCHEMA_PATH",
    "Catalogue",
    "Criterion",
    "LegalSource",
    "Localized",
    "Pathway",
    "Problem",
    "Texts",
    "check_file",
    "current",
    "load_catalogue",
    "localized",
    "pathways_stale",
    "plain",
    "translation_gaps",
    "untranslated",
]

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"


@dataclass(frozen=True)
class Criterion:
    id: str
    text: Texts
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class LegalSource:
    citation: Texts
    article: Texts | None
    link: str
    note: Texts | None


@dataclass(frozen=True)
class Pathway:
    id: str
    kind: str
    country: str  # ISO 3166-1 alpha-2, or "" for a body such as UNHCR
    issuer: Texts
    names: Texts
    summary: Texts
    for_whom: Texts
    criteria: tuple[Criterion, ...]
    legal_sources: tuple[LegalSource, ...]
    practical: dict[str, Texts]
    last_reviewed: date
    reviewed_by: Texts
    draft: bool
    file: str

    def age_days(self, today: date | None = None) -> int:
        return ((today or timezone.localdate()) - self.last_reviewed).days

    def is_stale(self, max_days: int | None = None, today: date | None = None) -> bool:
        if max_days is None:
            max_days = settings.PATHWAYS_REVIEW_MAX_DAYS
        return self.age_days(today) > max_days

    @classmethod
    def from_data(cls, data: dict, file: str) -> "Pathway":
        return cls(
            id=data["id"],
            kind=data["kind"],
            country=data["issuer"].get("country", ""),
            issuer=texts(data["issuer"]["name"]),
            names=texts(data["names"]),
            summary=texts(data["summary"]),
            for_whom=texts(data["for_whom"]),
            criteria=tuple(
                Criterion(c["id"], texts(c["text"]), tuple(c["evidence"]))
                for c in data["criteria"]
            ),
            legal_sources=tuple(
                LegalSource(
                    texts(s["citation"]),
                    texts(s.get("article") or None),
                    s.get("link", ""),
                    texts(s.get("note")),
                )
                for s in data["legal_sources"]
            ),
            practical={key: texts(value) for key, value in data["practical"].items()},
            last_reviewed=date.fromisoformat(data["last_reviewed"]),
            reviewed_by=texts(data["reviewed_by"]),
            draft=data.get("draft", False),
            file=file,
        )


@dataclass(frozen=True)
class Catalogue:
    pathways: tuple[Pathway, ...]
    problems: tuple[Problem, ...]

    def get(self, pathway_id: str) -> Pathway | None:
        return next((p for p in self.pathways if p.id == pathway_id), None)


def load_catalogue(directory: Path | None = None, today: date | None = None) -> Catalogue:
    directory = CATALOGUE_DIR if directory is None else directory
    pathways, problems = [], []
    if not directory.is_dir():
        return Catalogue((), (Problem(display_name(directory), 1, "no catalogue folder"),))
    for path in sorted(directory.iterdir()):
        if path.suffix == ".yml":
            problems.append(
                Problem(display_name(path), 1, "catalogue files end in .yaml; rename it")
            )
        if path.suffix != ".yaml":
            continue
        data, found = check_file(path, today=today)
        problems.extend(found)
        if data is not None:
            pathways.append(Pathway.from_data(data, display_name(path)))
    return Catalogue(tuple(pathways), tuple(problems))


@cache
def current() -> Catalogue:
    """The shipped catalogue, read once per process: a changed file is served after a restart
    (deploying a change restarts the server)."""
    return load_catalogue()


def pathways_stale(age_days: int | None = None, today: date | None = None) -> list[Pathway]:
    """Pathways last reviewed more than ``age_days`` ago (PATHWAYS_REVIEW_MAX_DAYS by default)."""
    return [p for p in current().pathways if p.is_stale(age_days, today)]
