"""Make the Russian and Ukrainian codename word lists (ru_wordlist.txt, uk_wordlist.txt).

    uv run --group wordlists python waystation/intake/data/make_wordlists.py

Each list holds the 7,776 most frequent words (wordfreq, "large" lists) that pass every filter
below, so seven words drawn from it carry as many bits as seven from the EFF list (90.5). The
packages of the ``wordlists`` dependency group are needed here only: Waystation reads the
finished files and never imports this script's packages. The same versions (uv.lock) give the
same files; the script prints each file's SHA-256 to compare.

A word is kept when it is
- 3 to 9 letters of the language's alphabet alone (no hyphen, apostrophe or Latin letter), with
  ё written е, as people type it (codenames.normalise folds it the same way);
- in the dictionary of pymorphy3 (no guessed word), and every reading of it is the dictionary
  form of a noun or an adjective: nothing else spelt the same way, no inflected form of another
  word ("стекла", "мыла"), no pronoun ("этот"), no verb;
- not only a name, surname, patronymic, place or organisation (a cat that is also a surname is
  kept), nor an abbreviation, slang, informal, archaic or misspelt word by the dictionary's
  marks, nor a country or city in CLDR; a Ukrainian noun also needs a plural (that dictionary
  does not mark places, which have none);
- not blocked by wordlist_blocked.txt: swearing, slurs, and words a person in danger should
  not be found carrying on a scrap of paper (war, the army, weapons, death, prison, the police,
  borders and papers, drugs, illness, religion and politics, countries and peoples).
"""

import hashlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
SIZE = 7776
LETTERS = {
    "ru": "абвгдежзийклмнопрстуфхцчшщъыьэюя",
    "uk": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
}
# Dictionary marks (OpenCorpora grammemes) that disqualify a reading.
PROPER = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"})
BAD_MARKS = frozenset(
    {"Abbr", "Infr", "Slng", "Arch", "Litr", "Erro", "Dist", "Init", "Hypo", "Apro", "Subx"}
    | {"Poss", "Prnt", "Fixd"}
)

BLOCKED_FILE = HERE / "wordlist_blocked.txt"


def fold(word: str) -> str:
    return word.replace("ё", "е")


def blocked_entries() -> tuple[tuple[str, ...], frozenset[str]]:
    """(beginnings, whole words) from wordlist_blocked.txt."""
    starts, words = [], set()
    for line in BLOCKED_FILE.read_text(encoding="utf-8").splitlines():
        for entry in line.split("#", 1)[0].split():
            if entry.startswith("="):
                words.add(fold(entry[1:]))
            else:
                starts.append(fold(entry))
    return tuple(starts), frozenset(words)


def blocked(word: str, entries=None) -> bool:
    starts, words = entries or blocked_entries()
    return word in words or word.startswith(starts)


def _places() -> set[str]:
    """Country and city names in CLDR (Babel ships them), lower-cased, for both languages."""
    from babel import Locale

    names = set()
    for code in ("ru", "uk"):
        locale = Locale.parse(code)
        names.update(fold(name.lower()) for name in locale.territories.values())
        for zone in locale.time_zones.values():
            city = zone.get("city")
            if city:
                names.add(fold(city.lower()))
    return names


def _common(parses) -> list:
    """The readings that are not a name, surname, place or organisation: "кіт" is a cat and a
    surname, "орел" an eagle and a town; a word with no other reading is left out."""
    return [p for p in parses if not set(p.tag.grammemes) & PROPER]


def _readings_ok(parses, word: str) -> bool:
    common = _common(parses)
    if not common:
        return False
    for parse in common:
        if not parse.is_known or fold(parse.normal_form) != word:
            return False
        grammemes = set(parse.tag.grammemes)
        if parse.tag.POS not in ("NOUN", "ADJF") or grammemes & BAD_MARKS:
            return False
        if parse.tag.POS == "NOUN" and "plur" in grammemes:  # "ножницы": a plural alone
            return False
    return True


def _has_plural(parses) -> bool:
    """The Ukrainian dictionary does not mark names of places ("одеса", "іловайськ"); they
    have no plural, where most common nouns do."""
    return any("plur" in form.tag.grammemes for p in parses for form in p.lexeme)


def _only_proper(parses) -> bool:
    known = [p for p in parses if p.is_known]
    return bool(known) and not _common(known)


def make(language: str, morph, other_morph) -> list[str]:
    import wordfreq

    alphabet = re.compile(rf"^[{LETTERS[language]}]{{3,9}}$")
    places = _places()
    entries = blocked_entries()
    chosen, seen = [], set()
    for raw in wordfreq.iter_wordlist(language, wordlist="large"):
        word = fold(raw)
        if word in seen or not alphabet.match(word) or blocked(word, entries) or word in places:
            continue
        seen.add(word)
        parses = morph.parse(word)
        if not _readings_ok(parses, word):
            continue
        if language == "uk" and parses[0].tag.POS == "NOUN" and not _has_plural(parses):
            continue
        # The other language's dictionary knows some names and places this one does not mark.
        if _only_proper(other_morph.parse(word)):
            continue
        chosen.append(word)
        if len(chosen) == SIZE:
            import pyuca  # the alphabet's order (Є after Е, І after И), as the file is read

            return sorted(chosen, key=pyuca.Collator().sort_key)
    raise SystemExit(f"{language}: only {len(chosen)} words pass the filters, {SIZE} are needed")


def main() -> None:
    import pymorphy3

    morphs = {code: pymorphy3.MorphAnalyzer(lang=code) for code in ("ru", "uk")}
    for language in ("ru", "uk"):
        other = morphs["uk" if language == "ru" else "ru"]
        words = make(language, morphs[language], other)
        text = "\n".join(words) + "\n"
        path = HERE / f"{language}_wordlist.txt"
        path.write_text(text, encoding="utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()
        print(f"{path.name}: {len(words)} words, sha256 {digest}", file=sys.stderr)


if __name__ == "__main__":
    main()
