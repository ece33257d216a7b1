"""The crawler's checks find what they are meant to find (a crawl that cannot fail proves
nothing), and leave alone what is foreign by declaration."""

from . import page as pages
from .checks import english_words, problems_of


def _page(body: str, lang: str = "ru") -> pages.Page:
    return pages.read(f'<!doctype html><html lang="{lang}"><head><title>x</title></head>{body}')


def test_english_words_on_a_russian_page_are_found():
    found = problems_of(_page("<p>Версия 1. Shipped with Waystation</p>"), "ru")
    assert "English words: Shipped with" in found
    assert any(problem.startswith("untranslated: Shipped with Waystation") for problem in found)


def test_proper_names_codes_and_declared_languages_pass():
    body = (
        "<p>Задача для amber-falcon-27: UNHCR, SHA-256 a1b2c3, файл IMG_0412.jpg, ст. 1F(b),"
        " страница if-detained, адрес /intake/</p>"
        '<p><button lang="de">Deutsch</button> <code>waystation audit verify</code>'
        ' <span translate="no">DemoCam</span></p>'
        '<script>var english = "words";</script><template>hidden words</template>'
    )
    assert problems_of(_page(body), "ru") == []


def test_the_start_of_an_id_in_letters_only_is_not_a_word_but_a_longer_english_word_is():
    page = _page("<p>Объект: доказательство ceabadad; feedback deadbeefcafe</p>")
    assert problems_of(page, "ru") == ["English words: feedback"]


def test_english_text_in_attributes_and_buttons_is_seen():
    body = (
        '<input placeholder="Search the notes"><input type="submit" value="Send"><img alt="A map">'
    )
    assert english_words(" ".join(_page(body).texts)) == {
        "Search",
        "the",
        "notes",
        "Send",
        "A",
        "map",
    }


def test_a_german_page_with_english_sentences_is_caught_but_not_for_its_nouns():
    assert problems_of(_page("<p>Status: Team, Name</p>", "de"), "de") == []
    assert "English words: the with" in problems_of(
        _page("<p>Shipped with the demo</p>", "de"), "de"
    )


def test_date_inputs_must_hold_iso_dates():
    good = _page('<input type="date" name="on" value="2026-12-06"><input type="date" name="e">')
    assert problems_of(good, "ru") == []
    bad = problems_of(_page('<input type="date" name="on" value="06.12.2026">'), "ru")
    assert bad == ["date inputs not in ISO form: on='06.12.2026'"]


def test_a_page_in_another_language_than_asked_is_reported():
    assert problems_of(_page("<p>Готово</p>", "en"), "ru") == ['<html lang="en">']


def test_forms_and_links_are_read():
    read = _page(
        '<a href="/cases/1/">дело</a><form method="post" action="/cases/1/add/note/">'
        '<textarea name="text"></textarea><button>Сохранить</button></form>'
        '<form method="post" action="/cases/task/3/done/"><button>Готово</button></form>'
    )
    assert read.links == ["/cases/1/"]
    assert [(form.action, form.filled_in) for form in read.forms] == [
        ("/cases/1/add/note/", True),
        ("/cases/task/3/done/", False),  # a button alone: an action, not a form to get wrong
    ]
