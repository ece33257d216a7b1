"""The words of the synthetic cases (see ``demo``): invented, the way the group writes. No name
here is a real person's; no note holds a route or a helper.

The texts are in English and translated (context "demo") like the interface: a demo made
with ``waystation demo --language ru`` writes them in Russian. Each is a lazy translation,
read in the language active when the case is written."""

from django.utils.translation import npgettext, pgettext_lazy

CITIES = (
    pgettext_lazy("demo", "Tbilisi"),
    pgettext_lazy("demo", "Batumi"),
    pgettext_lazy("demo", "Yerevan"),
    pgettext_lazy("demo", "Gyumri"),
    pgettext_lazy("demo", "Almaty"),
    pgettext_lazy("demo", "Astana"),
    pgettext_lazy("demo", "Bishkek"),
    pgettext_lazy("demo", "Osh"),
    pgettext_lazy("demo", "Tashkent"),
    pgettext_lazy("demo", "Baku"),
    pgettext_lazy("demo", "Istanbul"),
    pgettext_lazy("demo", "Antalya"),
    pgettext_lazy("demo", "Belgrade"),
    pgettext_lazy("demo", "Podgorica"),
    pgettext_lazy("demo", "Vilnius"),
    pgettext_lazy("demo", "Riga"),
    pgettext_lazy("demo", "Tallinn"),
    pgettext_lazy("demo", "Warsaw"),
    pgettext_lazy("demo", "Berlin"),
    pgettext_lazy("demo", "Ulaanbaatar"),
)
HOME_CITY = pgettext_lazy("demo", "Moscow")  # the address of someone still at home
LANGUAGES = (
    pgettext_lazy("demo", "Russian"),
    pgettext_lazy("demo", "Russian"),
    pgettext_lazy("demo", "Russian, English"),
    pgettext_lazy("demo", "Russian, Ukrainian"),
    pgettext_lazy("demo", "Russian, Kazakh"),
    pgettext_lazy("demo", "Russian, Tatar"),
    pgettext_lazy("demo", "Russian, Georgian"),
    pgettext_lazy("demo", "Russian, English, German"),
)
TAGS = (
    pgettext_lazy("demo", "mobilisation"),
    pgettext_lazy("demo", "deserter"),
    pgettext_lazy("demo", "journalist"),
    pgettext_lazy("demo", "activist"),
    pgettext_lazy("demo", "lgbt"),
    pgettext_lazy("demo", "family"),
    pgettext_lazy("demo", "children"),
    pgettext_lazy("demo", "medical"),
    pgettext_lazy("demo", "wanted"),
    pgettext_lazy("demo", "interpol"),
)
PLACES = (
    pgettext_lazy("demo", "Almaty city court"),
    pgettext_lazy("demo", "Bostandyk district court, Almaty"),
    pgettext_lazy("demo", "Temporary detention facility, Astana"),
    pgettext_lazy("demo", "Temporary detention facility of the city police, Bishkek"),
    pgettext_lazy("demo", "Tbilisi City Court"),
    pgettext_lazy("demo", "Kentron district court, Yerevan"),
    pgettext_lazy("demo", "Deportation centre, Istanbul"),
    pgettext_lazy("demo", "Pre-trial detention centre no. 1, Tashkent"),
    pgettext_lazy("demo", "Migration police, Belgrade"),
)
WANTED_BY = pgettext_lazy("demo", "Interpol / Russian interior ministry")
VISITS = pgettext_lazy("demo", "Parcels on Tuesdays and Fridays")
SUMMARIES = (
    pgettext_lazy(
        "demo", "Wanted for refusing mobilisation. Stays with friends, looking for work."
    ),
    pgettext_lazy(
        "demo",
        "Journalist; a case for “fakes” opened at home. His wife and two children are with him.",
    ),
    pgettext_lazy("demo", "Left his unit, afraid of extradition. Needs a lawyer and housing."),
    pgettext_lazy(
        "demo", "Activist; left with her mother after the searches. Needs help with documents."
    ),
    pgettext_lazy("demo", "Conscientious objector; a criminal case at home for refusing to serve."),
    pgettext_lazy(
        "demo", "Volunteer who helped political prisoners; now wanted at home. Travels alone."
    ),
    pgettext_lazy(
        "demo", "Family of four; the father received a call-up. Children need school places."
    ),
    pgettext_lazy("demo", "Detained on an Interpol notice; the court decides on extradition."),
)
# {city}, {day} (a date), {amount}, {hours} and {weeks} (a number with its word, see below) are
# filled in when a note is written.
NOTES = (
    pgettext_lazy(
        "demo", "Called today, sounds calm. Housing in {city} is paid until the end of the month."
    ),
    pgettext_lazy("demo", "The lawyer filed the appeal; the hearing is set for {day}."),
    pgettext_lazy(
        "demo", "Parcel handed in at the detention centre: warm clothes, medicine, food."
    ),
    pgettext_lazy("demo", "Not sleeping well since the detention; needs to see a psychologist."),
    pgettext_lazy("demo", "Met in {city} and went through the humanitarian visa options."),
    pgettext_lazy("demo", "Travel passport expired; the consulate refused to extend it."),
    pgettext_lazy("demo", "The family moved in with friends; the children started school."),
    pgettext_lazy("demo", "Rent money sent: {amount} lari."),
    pgettext_lazy("demo", "The extradition request reached the prosecutor; waiting for the court."),
    pgettext_lazy("demo", "Checked the phone together: old chats deleted, encryption turned on."),
    pgettext_lazy(
        "demo", "Called to the migration service for an interview; a volunteer went along."
    ),
    pgettext_lazy("demo", "Found a Russian-speaking doctor, appointment on Thursday."),
    pgettext_lazy("demo", "Stopped at a document check, released after {hours}."),
    pgettext_lazy("demo", "Relatives at home received a call-up in his name."),
    pgettext_lazy("demo", "The letter to the embassy went out {weeks} ago; no answer."),
    pgettext_lazy(
        "demo", "Visit at the detention centre allowed on {day}; the parcel list agreed."
    ),
    pgettext_lazy("demo", "Works as a courier: enough for food, not for rent."),
    pgettext_lazy("demo", "The court postponed the hearing; the next one is on {day}."),
    pgettext_lazy("demo", "Got a one-year temporary residence permit."),
    pgettext_lazy("demo", "Asks for help translating certificates into English."),
)
TASKS = (
    pgettext_lazy("demo", "Call the lawyer about the appeal"),
    pgettext_lazy("demo", "Hand in a parcel at the detention centre"),
    pgettext_lazy("demo", "Pay the month's rent"),
    pgettext_lazy("demo", "Send the humanitarian visa application"),
    pgettext_lazy("demo", "Find a psychologist"),
    pgettext_lazy("demo", "Check in by phone"),
    pgettext_lazy("demo", "Extend the registration"),
    pgettext_lazy("demo", "Book the consulate appointment"),
    pgettext_lazy("demo", "Have the certificates translated into English"),
)
RELATIONS = (
    pgettext_lazy("demo", "wife"),
    pgettext_lazy("demo", "husband"),
    pgettext_lazy("demo", "son"),
    pgettext_lazy("demo", "daughter"),
    pgettext_lazy("demo", "mother"),
)
NEED_NOTES = (
    "",
    "",
    pgettext_lazy("demo", "until the end of the month"),
    pgettext_lazy("demo", "urgent"),
    pgettext_lazy("demo", "for the children"),
    pgettext_lazy("demo", "after release"),
)
STREETS = (
    pgettext_lazy("demo", "Lesnaya St"),
    pgettext_lazy("demo", "Sadovaya St"),
    pgettext_lazy("demo", "Rustaveli Ave"),
    pgettext_lazy("demo", "Abay Ave"),
    pgettext_lazy("demo", "Tigran Mets Ave"),
)
PASSPORT = pgettext_lazy("demo", "passport {number}")
HOURS = range(3, 48)  # how long a document check kept someone
WEEKS = range(2, 9)  # how long a letter has gone unanswered


def hours(count: int) -> str:
    return npgettext("demo", "%(count)d hour", "%(count)d hours", count) % {"count": count}


def weeks(count: int) -> str:
    return npgettext("demo", "%(count)d week", "%(count)d weeks", count) % {"count": count}
FIRST_NAMES = [
    "Алексей",
    "Дмитрий",
    "Сергей",
    "Иван",
    "Кирилл",
    "Артём",
    "Павел",
    "Егор",
    "Андрей",
    "Михаил",
    "Анна",
    "Мария",
    "Ольга",
    "Екатерина",
    "Дарья",
    "Полина",
    "Алина",
    "Ксения",
]
PATRONYMICS = [
    "Алексеевич",
    "Дмитриевич",
    "Сергеевич",
    "Иванович",
    "Павлович",
    "Андреевич",
    "Олегович",
]
# Surnames are built from syllables, so that no generated name is a real person's by design.
SYLLABLES = [
    "ла",
    "ми",
    "до",
    "ре",
    "ва",
    "ту",
    "зо",
    "ке",
    "бро",
    "гри",
    "ло",
    "са",
    "фе",
    "ну",
    "кри",
    "мо",
]
SURNAME_ENDINGS = {"ов": "ова", "ин": "ина", "енко": "енко", "ский": "ская"}  # → feminine
_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
_TRANSLITERATION = str.maketrans(
    {**_LATIN, **{cyrillic.upper(): latin.capitalize() for cyrillic, latin in _LATIN.items()}}
)


def transliterate(text: str) -> str:
    """Russian in Latin letters, the way a passport spells it (roughly)."""
    return text.translate(_TRANSLITERATION)
