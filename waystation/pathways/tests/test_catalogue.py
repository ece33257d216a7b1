"""The catalogue files: every shipped one is valid, and a broken one is reported with its file,
line and reason — by the loader, by `waystation pathways check`, and so by `make test`."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from waystation.pathways import catalogue
from waystation.pathways.catalogue import (
    CATALOGUE_DIR,
    LANGUAGES,
    SCHEMA_PATH,
    check_file,
    load_catalogue,
    untranslated,
)
from waystation.pathways.vocabulary import EvidenceKind, PathwayKind

SHIPPED = sorted(CATALOGUE_DIR.glob("*.yaml"))

# Line numbers matter: the tests below point at them.
VALID = """\
id: xx-sample
kind: national_asylum
issuer:
  country: DE
  name: {en: A body, ru: Орган}
names:
  en: Sample pathway
  ru: Пример
summary: {en: Summary., ru: Кратко.}
for_whom: {en: Someone., ru: Кто-то.}
criteria:
  - id: presence
    text: {en: Be there., ru: Быть там.}
    evidence: [presence_on_territory]
  - id: fear
    text: {en: Fear., ru: Опасения.}
    evidence: [criminal_case, testimony]
legal_sources:
  - citation: Some Act
    article: § 1
    link: https://example.org/act
practical:
  where_to_apply: {en: There., ru: Там.}
  typical_duration: {en: Months., ru: Месяцы.}
  known_refusals: {en: Many., ru: Много.}
last_reviewed: 2025-01-15
reviewed_by: The group's lawyer
"""


def write(tmp_path, text, name="xx-sample.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path, text, name="xx-sample.yaml"):
    data, problems = check_file(write(tmp_path, text, name), today=date(2026, 1, 1))
    assert data is None, "the broken file was accepted"
    return [(p.file.rsplit("/", 1)[-1], p.line, p.reason) for p in problems]


def test_the_catalogue_ships_at_least_ten_pathways():
    assert len(SHIPPED) >= 10
    found = load_catalogue()
    assert found.problems == ()
    assert {p.id for p in found.pathways} >= {
        "de-aufenthg-22",
        "de-asylum",
        "fr-asylum",
        "eu-military-service-refusal",
        "unhcr-resettlement",
        "ca-refugee-resettlement",
        "us-humanitarian-parole",
        "kz-refugee-status",
        "kg-refugee-status",
        "am-refugee-status",
        "ge-international-protection",
    }


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_pathway_file_validates(path):
    data, problems = check_file(path)
    assert [str(p) for p in problems] == []
    assert data["id"] == path.stem
    for criterion in data["criteria"]:
        assert criterion["evidence"], criterion["id"]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_text_is_in_all_four_languages(path):
    data, _problems = check_file(path)
    # Every text the pages show, by its place in the file, with the languages it lacks.
    assert untranslated(data) == []
    pathway = load_catalogue().get(path.stem)
    every = [pathway.issuer, pathway.names, pathway.summary, pathway.for_whom]
    every += [criterion.text for criterion in pathway.criteria]
    for source in pathway.legal_sources:
        every += [source.citation, source.article, source.note]
    every += [*pathway.practical.values(), pathway.reviewed_by]
    for texts in filter(None, every):
        assert set(texts) == set(LANGUAGES), texts
        # A sentence is not another language's copied (a short citation may coincide).
        if sum(sum(c.isalpha() for c in word) > 2 for word in texts["en"].split()) > 5:
            assert len({texts["en"], texts["ru"], texts["de"], texts["uk"]}) == 4, texts


def test_untranslated_names_each_text_and_what_it_lacks(tmp_path):
    text = VALID.replace("summary: {en: Summary., ru: Кратко.}", "summary: Summary.")
    data, problems = check_file(write(tmp_path, text), today=date(2026, 1, 1))
    assert problems == []
    missing = dict(untranslated(data))
    assert missing[("summary",)] == ("ru", "de", "uk")
    assert missing[("names",)] == ("de", "uk")
    assert missing[("criteria", 0, "text")] == ("de", "uk")
    assert missing[("legal_sources", 0, "citation")] == ("ru", "de", "uk")
    assert missing[("reviewed_by",)] == ("ru", "de", "uk")


def test_a_text_is_plain_english_or_a_mapping_of_languages(tmp_path):
    text = VALID.replace("summary: {en: Summary., ru: Кратко.}", "summary: Summary.")
    path = write(tmp_path, text)
    pathway = load_catalogue(tmp_path, today=date(2026, 1, 1)).get("xx-sample")
    assert pathway.summary == {"en": "Summary."}
    assert catalogue.localized(pathway.summary, "ru") == catalogue.Localized(
        "Summary.", "en", fallback=True
    )
    assert catalogue.localized(pathway.names, "ru") == catalogue.Localized("Пример", "ru")
    assert catalogue.localized(pathway.names, "en").fallback is False
    assert catalogue.localized(pathway.names, "uk").fallback is True
    path.write_text(text.replace("  ru: Пример\n", "  ru: Пример\n  fr: Exemple\n"))
    _data, problems = check_file(path, today=date(2026, 1, 1))
    assert [(p.line, p.reason) for p in problems] == [(9, "names: unknown field 'fr'")]


def test_the_schema_and_the_vocabulary_name_the_same_kinds():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$defs"]["evidence_kind"]["enum"] == EvidenceKind.values
    assert schema["$defs"]["pathway_kind"]["enum"] == PathwayKind.values


def test_the_sample_is_valid(tmp_path):
    data, problems = check_file(write(tmp_path, VALID), today=date(2026, 1, 1))
    assert problems == []
    assert data["last_reviewed"] == "2025-01-15"


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        pytest.param(
            "  en: Sample pathway\n", "", 6, "names: missing field 'en'", id="missing-field"
        ),
        pytest.param(
            "reviewed_by: The group's lawyer\n",
            "",
            1,
            "missing field 'reviewed_by'",
            id="missing-top",
        ),
        pytest.param(
            "    evidence: [presence_on_territory]",
            "    evidence: presence_on_territory",
            14,
            "criteria[0].evidence: expected a list, found text 'presence_on_territory'",
            id="wrong-type",
        ),
        pytest.param(
            "  - citation: Some Act",
            "  - citation: 1999",
            19,
            "legal_sources[0].citation: expected text, or a mapping of languages (en, ru, de,"
            " uk), found a number",
            id="wrong-type-number",
        ),
        pytest.param(
            "last_reviewed: 2025-01-15",
            "last_reviewed: 2025-02-30",
            26,
            "last_reviewed: '2025-02-30' is not a date written YYYY-MM-DD",
            id="bad-date",
        ),
        pytest.param(
            "last_reviewed: 2025-01-15",
            "last_reviewed: 15.01.2025",
            26,
            "last_reviewed: '15.01.2025' is not a date written YYYY-MM-DD",
            id="date-in-another-form",
        ),
        pytest.param(
            "evidence: [criminal_case, testimony]",
            "evidence: [criminal_case, hearsay]",
            17,
            "criteria[1].evidence[1]: 'hearsay' is not one of: identity_document,",
            id="unknown-evidence-kind",
        ),
        pytest.param(
            "kind: national_asylum",
            "kind: asylum",
            2,
            "kind: 'asylum' is not one of: humanitarian_visa,",
            id="unknown-kind",
        ),
        pytest.param(
            "  - id: fear\n",
            "  - id: presence\n",
            15,
            "criteria[1].id: duplicate criterion id 'presence'",
            id="duplicate-criterion-id",
        ),
        pytest.param(
            "for_whom: {en: Someone., ru: Кто-то.}\n",
            "for_whom: {en: Someone., ru: Кто-то.}\nsummary: {en: Again., ru: Снова.}\n",
            11,
            "field 'summary' is given twice",
            id="duplicate-key",
        ),
        pytest.param(
            "    link: https://example.org/act\n",
            "    link: https://example.org/act\n    url: https://example.org\n",
            22,
            "legal_sources[0]: unknown field 'url'",
            id="unknown-field",
        ),
        pytest.param(
            "    link: https://example.org/act",
            "    link: javascript:alert(1)",
            21,
            "legal_sources[0].link: 'javascript:alert(1)' does not have the expected form",
            id="link-not-http",
        ),
        pytest.param(
            "  - id: fear\n    text: {en: Fear., ru: Опасения.}\n",
            "  - id: fear\n    text: {en: Fear., ru: Опасения.\n",
            17,
            "YAML syntax error:",
            id="yaml-syntax-error",
        ),
        pytest.param(
            "last_reviewed: 2025-01-15",
            "last_reviewed: 2026-06-01",
            26,
            "last_reviewed: 2026-06-01 is in the future",
            id="future-review",
        ),
        pytest.param(
            "  ru: Пример\n",
            "  ru: ' '\n",
            8,
            "names.ru: ' ' does not have the expected form",
            id="blank-text",
        ),
    ],
)
def test_a_broken_file_fails_with_file_line_and_reason(tmp_path, old, new, line, reason):
    assert old in VALID
    found = problems_of(tmp_path, VALID.replace(old, new, 1))
    assert any(
        file == "xx-sample.yaml" and at == line and said.startswith(reason)
        for file, at, said in found
    ), found


def test_an_id_that_differs_from_the_file_name_is_refused(tmp_path):
    found = problems_of(tmp_path, VALID, name="xx-other.yaml")
    assert found == [
        (
            "xx-other.yaml",
            1,
            "id: 'xx-sample' differs from the file name; name the file xx-sample.yaml or change "
            "the id",
        )
    ]


def test_an_empty_file_is_refused(tmp_path):
    assert problems_of(tmp_path, "# nothing yet\n") == [("xx-sample.yaml", 1, "the file is empty")]


def test_several_problems_are_all_reported_in_line_order(tmp_path):
    broken = VALID.replace("kind: national_asylum", "kind: asylum").replace(
        "2025-01-15", "yesterday"
    )
    assert [line for _, line, _ in problems_of(tmp_path, broken)] == [2, 26]


def test_the_loader_serves_the_valid_files_and_reports_the_broken_ones(tmp_path):
    write(tmp_path, VALID)
    broken = VALID.replace("xx-sample", "xx-broken").replace("  en: Sample pathway\n", "")
    write(tmp_path, broken, "xx-broken.yaml")
    write(tmp_path, VALID, "xx-sample.yml")
    found = load_catalogue(tmp_path, today=date(2026, 1, 1))
    assert [p.id for p in found.pathways] == ["xx-sample"]
    assert [(p.file.rsplit("/", 1)[-1], p.line) for p in found.problems] == [
        ("xx-broken.yaml", 6),
        ("xx-sample.yml", 1),
    ]


def test_check_command_exits_non_zero_with_one_line_per_problem(tmp_path):
    write(tmp_path, VALID.replace("kind: national_asylum", "kind: asylum"))
    write(tmp_path, VALID.replace("xx-sample", "xx-second"), "xx-second.yaml")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 problem in the pathway catalogue"):
        call_command("pathways", "check", "--dir", str(tmp_path), stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith(
        "xx-sample.yaml:2: kind: 'asylum' is not one of: humanitarian_visa, "
        "national_asylum, resettlement, private_sponsorship, "
        "humanitarian_parole, host_state_refugee_status, "
        "family_reunification, work_or_study_visa"
    )


def test_check_command_passes_on_the_shipped_catalogue_and_names_overdue_reviews(settings):
    settings.PATHWAYS_REVIEW_MAX_DAYS = 365
    out = StringIO()
    call_command("pathways", "check", stdout=out)
    assert out.getvalue().splitlines()[-1] == f"OK: {len(SHIPPED)} pathways, every file valid"
    settings.PATHWAYS_REVIEW_MAX_DAYS = -1
    out = StringIO()
    call_command("pathways", "check", stdout=out)
    assert out.getvalue().count("review overdue:") == len(SHIPPED)


def test_a_fragment_in_another_language_is_marked_and_checked(tmp_path):
    text = VALID.replace(
        "summary: {en: Summary., ru: Кратко.}",
        'summary: {en: "Under the [[de:Aufenthaltsgesetz]].", ru: "По [[de:Aufenthaltsgesetz]]."}',
    )
    pathway = load_catalogue(write(tmp_path, text).parent, today=date(2026, 1, 1)).get("xx-sample")
    shown = catalogue.localized(pathway.summary, "ru")
    assert shown.text == "По Aufenthaltsgesetz."  # titles, sorting, the PDF
    assert shown.html == 'По <span lang="de">Aufenthaltsgesetz</span>.'
    tricky = catalogue.Localized("a", "ru", marked="<b>[[de:x<y]]</b>\nline")
    assert tricky.html == '&lt;b&gt;<span lang="de">x&lt;y</span>&lt;/b&gt;<br>line'
    broken = text.replace("[[de:Aufenthaltsgesetz]].\"}", "[[Aufenthaltsgesetz]].\"}")
    found = problems_of(tmp_path, broken)
    assert found == [
        (
            "xx-sample.yaml",
            9,
            "summary.ru: a fragment in another language is written [[de:Aufenthaltsgesetz]] "
            "(a language code, a colon, the text)",
        )
    ]


def test_check_command_lists_texts_not_yet_translated_without_failing(tmp_path):
    write(tmp_path, VALID.replace("summary: {en: Summary., ru: Кратко.}", "summary: Summary."))
    out = StringIO()
    call_command("pathways", "check", "--dir", str(tmp_path), stdout=out)
    lines = out.getvalue().splitlines()
    gaps = [line for line in lines if line.startswith("not yet translated: ")]
    assert any(line.endswith("xx-sample.yaml:9: summary: no ru, de, uk") for line in gaps)
    assert any(line.endswith("xx-sample.yaml:13: criteria[0].text: no de, uk") for line in gaps)
    assert lines[-1] == "OK: 1 pathways, every file valid"
    shipped = StringIO()
    call_command("pathways", "check", stdout=shipped)
    assert "not yet translated" not in shipped.getvalue()


def test_pathways_stale_follows_the_setting(settings):
    shipped = catalogue.current().pathways
    newest = max(p.last_reviewed for p in shipped)
    oldest = min(p.last_reviewed for p in shipped)
    settings.PATHWAYS_REVIEW_MAX_DAYS = 365
    assert catalogue.pathways_stale(today=oldest) == []
    later = date(newest.year + 2, newest.month, 1)
    assert len(catalogue.pathways_stale(today=later)) == len(shipped)
    assert catalogue.pathways_stale(age_days=10_000, today=later) == []
    settings.PATHWAYS_REVIEW_MAX_DAYS = (later - newest).days
    assert catalogue.pathways_stale(today=later) == [p for p in shipped if p.last_reviewed < newest]
