"""`make lint`: every text of the interface translated in every catalogue, and the compiled
catalogues up to date.

Runs `makemessages` exactly as `make messages` does, but into a copy of locale/ (the working
tree is not touched), then fails if any Russian, German or Ukrainian entry is left empty or
fuzzy: a string added to the code without its translations, or a changed one whose old
translation no longer fits. It also fails when a compiled catalogue (django.mo) does not hold
what its django.po says, i.e. `make messages` was not run after the .po was edited.

Usage: python scripts/check_translations.py  (from the repository root)
"""

import gettext
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("ru", "de", "uk")
# The same as the Makefile's `messages` target.
IGNORED = [".venv", "bench", "tests"]
SHOWN = 25  # entries listed per language and problem; the counts cover all


def _extract(into: Path) -> None:
    """`waystation makemessages` as `make messages` runs it, in a copy of the code and the
    catalogues at ``into`` (Django writes next to the code it reads: a copy keeps the working
    tree as it is)."""
    shutil.copytree(
        ROOT / "waystation", into / "waystation", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "locale", into / "locale")
    environment = {
        **os.environ,
        "WAYSTATION_DEVELOPER": "1",  # makemessages is a developer tool (waystation/cli.py)
        "PYTHONPATH": os.pathsep.join([str(into), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-W", "ignore::RuntimeWarning", "-m", "waystation", "makemessages"]
    command += [f"--locale={language}" for language in LANGUAGES]
    command += ["--no-location", *(f"--ignore={pattern}" for pattern in IGNORED)]
    # Our own interpreter and command, no input from outside.
    subprocess.run(command, cwd=into, env=environment, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def _label(entry) -> str:
    text = entry.msgid.replace("\n", " ")
    text = text if len(text) <= 90 else text[:87] + "…"
    return f"[{entry.msgctxt}] {text}" if entry.msgctxt else text


def _incomplete(po_path: Path) -> list[str]:
    import polib

    problems = []
    for entry in polib.pofile(str(po_path)):
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {_label(entry)}")
        elif not entry.translated():
            problems.append(f"untranslated: {_label(entry)}")
    return problems


def _stale(po_path: Path, mo_path: Path) -> list[str]:
    """Translations of the .po that the compiled .mo lacks or holds differently."""
    import polib

    if not mo_path.exists():
        return [f"{mo_path.relative_to(ROOT)} is missing"]
    with mo_path.open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog
    stale = []
    for entry in polib.pofile(str(po_path)):
        if entry.obsolete or "fuzzy" in entry.flags or not entry.translated():
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            found = [catalog.get((key, n)) for n in range(len(entry.msgstr_plural))]
            wanted = [entry.msgstr_plural[n] for n in range(len(entry.msgstr_plural))]
        else:
            found, wanted = catalog.get(key), entry.msgstr
        if found != wanted:
            stale.append(_label(entry))
    return stale


def main() -> int:
    failed = False
    with tempfile.TemporaryDirectory() as temporary:
        _extract(Path(temporary))
        copy = Path(temporary) / "locale"
        for language in LANGUAGES:
            po = Path("LC_MESSAGES") / "django.po"
            problems = _incomplete(copy / language / po)
            stale = _stale(
                ROOT / "locale" / language / po, ROOT / "locale" / language / po.with_suffix(".mo")
            )
            if problems:
                failed = True
                print(f"locale/{language}: {len(problems)} entries need a translation:")
                for line in problems[:SHOWN]:
                    print(f"  {line}")
                if len(problems) > SHOWN:
                    print(f"  … and {len(problems) - SHOWN} more")
            if stale:
                failed = True
                print(f"locale/{language}: django.mo is older than django.po ({len(stale)}):")
                for line in stale[:SHOWN]:
                    print(f"  {line}")
    if failed:
        print(
            "Run `make messages`, translate what it leaves empty or fuzzy in "
            "locale/{ru,de,uk}/LC_MESSAGES/django.po (no fuzzy flag left), run it again."
        )
        return 1
    print(f"Translations complete: {', '.join(LANGUAGES)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
