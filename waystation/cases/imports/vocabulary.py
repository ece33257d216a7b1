"""The words people use in their lists of people, in English, Russian, German and Ukrainian:
column headers for each field, and the values of status, urgency, needs and family.

Headers are compared by the import engine, values after ``normal()``: case, "ё",
apostrophes, punctuation and spacing do not matter, so "Дата приезда:" and "дата  ПРИЕЗДА" are
the same header, "Задержан." and "задержан" the same status. The model's own labels in the
site's languages are recognised too, so a list exported from Waystation comes back exactly.
"""

import re

from ..models import NeedKind, Status, Urgency

_APOSTROPHES = str.maketrans({"’": "", "ʼ": "", "'": "", "`": "", "ё": "е", "Ё": "е"})
_NOT_WORD = re.compile(r"[\W_]+")


def normal(text: str) -> str:
    return _NOT_WORD.sub(" ", str(text).translate(_APOSTROPHES).casefold()).strip()


# Fields of a case that the list may hold, and the headers that name them.
CASE_HEADERS: dict[str, tuple[str, ...]] = {
    "codename": (
        "codename", "code name", "case", "case codename",
        "кодовое имя", "кодовое название", "код", "кейс",
        "deckname", "codename", "fall",
        "кодове ім'я", "кодова назва",
    ),
    "city": (
        "city", "city of stay", "town", "location",
        "город", "город пребывания", "где находится", "местонахождение",
        "stadt", "ort", "aufenthaltsort", "wohnort",
        "місто", "місто перебування", "де перебуває",
    ),
    "status": (
        "status", "state", "situation",
        "статус", "положение", "ситуация", "состояние",
        "status", "lage", "zustand",
        "статус", "становище", "ситуація",
    ),
    "urgency": (
        "urgency", "priority", "urgent",
        "срочность", "приоритет", "срочно",
        "dringlichkeit", "priorität", "prioritat", "dringend",
        "терміновість", "пріоритет",
    ),
    "needs": (
        "needs", "need", "help needed", "what is needed", "requests",
        "нужды", "потребности", "нужда", "что нужно", "нужна помощь", "запрос", "запросы",
        "bedarf", "bedürfnisse", "bedurfnisse", "braucht", "was wird gebraucht",
        "потреби", "потреба", "що потрібно", "запити",
    ),
    "languages": (
        "languages", "language", "languages spoken",
        "языки", "язык", "владеет языками", "знание языков",
        "sprachen", "sprache",
        "мови", "мова", "володіє мовами",
    ),
    "family": (
        "family", "family members", "accompanied by", "travelling with",
        "семья", "члены семьи", "с кем", "состав семьи", "с семьей",
        "familie", "familienangehörige", "familienangehorige", "begleitet von",
        "сім'я", "родина", "члени родини", "склад родини", "з ким",
    ),
    "arrival": (
        "date of arrival", "arrival", "arrival date", "arrived", "arrived on",
        "дата приезда", "дата прибытия", "приехал", "прибыл", "когда приехал", "приезд",
        "прибытие",
        "ankunft", "ankunftsdatum", "angekommen", "eingereist", "einreise", "einreisedatum",
        "дата приїзду", "дата прибуття", "приїхав", "прибув", "коли приїхав",
    ),
    "notes": (
        "notes", "note", "comment", "comments", "remarks", "situation in short",
        "заметки", "заметка", "примечания", "примечание", "комментарий", "комментарии",
        "описание", "ситуация кратко",
        "notizen", "notiz", "bemerkungen", "bemerkung", "kommentar", "anmerkungen",
        "нотатки", "примітки", "примітка", "коментар", "коментарі",
    ),
}

# Columns that name the person: they go into the identity vault, encrypted, or nowhere.
# A callsign is the person's military call sign or nickname — it identifies him to his unit,
# so it is identity, never a codename.
IDENTITY_HEADERS: dict[str, tuple[str, ...]] = {
    "legal_name": (
        "full name", "name", "legal name", "name and surname", "person", "who",
        "фио", "ф и о", "имя", "полное имя", "фамилия имя отчество", "имя фамилия", "кто",
        "человек",
        "name", "vollständiger name", "vollstandiger name", "vor und nachname", "person",
        "піб", "п і б", "ім'я", "повне ім'я", "прізвище ім'я по батькові", "хто",
    ),
    "surname": (
        "surname", "last name", "family name",
        "фамилия",
        "nachname", "familienname",
        "прізвище",
    ),
    "patronymic": ("patronymic", "middle name", "отчество", "vatersname", "по батькові"),
    "transliteration": (
        "name in latin letters", "latin name", "name latin", "transliteration",
        "name as in passport",
        "фио латиницей", "имя латиницей", "латиницей", "транслитерация",
        "name in lateinschrift", "name lateinisch", "transliteration",
        "піб латиницею", "ім'я латиницею", "латиницею", "транслітерація",
    ),
    "callsign": (
        "callsign", "call sign", "nickname", "nick", "alias",
        "позывной", "прозвище", "ник", "кличка",
        "rufname", "spitzname",
        "позивний", "прізвисько",
    ),
    "birth_date": (
        "birth date", "date of birth", "dob", "born", "birthday", "year of birth",
        "дата рождения", "д р", "др", "год рождения", "родился",
        "geburtsdatum", "geboren", "geburtsjahr",
        "дата народження", "рік народження", "народився",
    ),
    "phone": (
        "phone", "telephone", "phone number", "mobile", "tel", "cell",
        "телефон", "тел", "номер телефона", "мобильный", "моб",
        "telefon", "telefonnummer", "handy", "mobilnummer",
        "номер телефону", "мобільний",
    ),
    "document_numbers": (
        "passport", "passport number", "passport no", "document", "documents",
        "document number", "document numbers", "id number", "military id",
        "паспорт", "номер паспорта", "серия и номер паспорта", "серия номер паспорта",
        "загранпаспорт", "документ", "документы", "номер документа", "военный билет",
        "pass", "reisepass", "passnummer", "ausweis", "ausweisnummer", "dokument",
        "dokumente",
        "номер паспорту", "документи", "номер документа", "військовий квиток",
    ),
    "address": (
        "address", "exact address", "home address",
        "адрес", "адрес проживания", "где живет", "точный адрес",
        "adresse", "anschrift", "wohnadresse",
        "адреса", "адреса проживання", "де живе",
    ),
}

# Values of the status column, beyond the model's own labels in each language.
STATUS_WORDS: dict[str, tuple[str, ...]] = {
    Status.IN_ORIGIN: (
        "in origin", "in the origin country", "at home", "home", "not yet left",
        "на родине", "дома", "в россии", "в стране происхождения", "еще не выехал",
        "im herkunftsland", "zu hause", "noch nicht ausgereist",
        "вдома", "на батьківщині", "в країні походження",
    ),
    Status.CROSSED: (
        "crossed", "crossed the border", "arrived", "just arrived",
        "пересек границу", "перешел границу", "пересек", "прибыл", "приехал", "только приехал",
        "grenze überquert", "grenze uberquert", "angekommen", "eingereist",
        "перетнув кордон", "прибув", "приїхав",
    ),
    Status.IN_TRANSIT: (
        "in transit", "transit", "waiting", "here",
        "в пути", "транзит", "в транзите", "ожидает", "ждет", "здесь", "на месте",
        "im transit", "unterwegs", "wartet", "hier",
        "в дорозі", "у транзиті", "в транзиті", "очікує", "чекає", "тут",
    ),
    Status.DETAINED: (
        "detained", "arrested", "in detention", "in custody", "in prison", "jailed",
        "задержан", "задержана", "арестован", "арестована", "под стражей", "в сизо",
        "в тюрьме", "в заключении",
        "festgenommen", "verhaftet", "in haft", "inhaftiert", "im gefängnis",
        "im gefangnis", "in abschiebehaft",
        "затриманий", "затримана", "заарештований", "під вартою", "в сізо", "у вязниці",
    ),
    Status.RELEASED: (
        "released", "free", "freed", "out",
        "освобожден", "освобождена", "отпущен", "отпущена", "на свободе", "вышел",
        "freigelassen", "entlassen", "frei",
        "звільнений", "звільнена", "відпущений", "на волі",
    ),
    Status.RELOCATED: (
        "relocated", "moved on", "resettled", "left", "evacuated", "gone",
        "уехал", "уехала", "переехал", "переехала", "релоцирован", "релокация", "выехал",
        "выехала", "переселен", "эвакуирован",
        "umgesiedelt", "weitergereist", "ausgereist", "weitergezogen",
        "переїхав", "переїхала", "виїхав", "виїхала", "релокований", "евакуйований",
    ),
    Status.EXTRADITED: (
        "extradited", "handed over", "deported to origin",
        "экстрадирован", "экстрадирована", "выдан", "выдана", "экстрадиция",
        "ausgeliefert", "auslieferung",
        "екстрадований", "екстрадована", "виданий", "видана", "екстрадиція",
    ),
    Status.CLOSED: (
        "closed", "done", "finished", "archived", "no longer",
        "закрыт", "закрыто", "закрыта", "завершено", "архив", "в архиве",
        "geschlossen", "abgeschlossen", "erledigt", "archiviert",
        "закрито", "закритий", "завершено", "архів",
    ),
}

URGENCY_WORDS: dict[int, tuple[str, ...]] = {
    Urgency.STABLE: (
        "stable", "low", "normal", "ok", "fine", "not urgent",
        "стабильно", "стабильный", "стабильная", "низкая", "низкий", "не срочно", "норма",
        "нормально", "все в порядке",
        "stabil", "niedrig", "normal", "nicht dringend",
        "стабільно", "стабільний", "низька", "низький", "не терміново", "нормально",
    ),
    Urgency.WATCH: (
        "watch", "medium", "moderate", "attention", "keep an eye",
        "наблюдать", "следить", "средняя", "средний", "внимание", "под наблюдением",
        "beobachten", "mittel", "aufmerksamkeit",
        "стежити", "спостерігати", "середня", "середній", "увага",
    ),
    Urgency.URGENT: (
        "urgent", "high", "important",
        "срочно", "срочная", "срочный", "высокая", "высокий", "важно",
        "dringend", "hoch", "wichtig",
        "терміново", "термінова", "терміновий", "висока", "високий", "важливо",
    ),
    Urgency.CRITICAL: (
        "in danger now", "critical", "danger", "emergency", "very urgent", "immediate",
        "критично", "критическая", "критический", "в опасности", "опасность",
        "очень срочно", "экстренно", "немедленно",
        "kritisch", "in gefahr", "gefahr", "notfall", "akut", "sehr dringend",
        "критична", "критичний", "в небезпеці", "небезпека", "дуже терміново", "екстрено",
    ),
}

NEED_WORDS: dict[str, tuple[str, ...]] = {
    NeedKind.HOUSING: (
        "housing", "accommodation", "shelter", "flat", "apartment", "room", "place to stay",
        "жилье", "жилище", "квартира", "комната", "проживание", "жилья", "крыша",
        "unterkunft", "wohnung", "zimmer", "obdach",
        "житло", "квартира", "кімната", "проживання",
    ),
    NeedKind.MONEY: (
        "money", "cash", "funds", "financial", "financial help", "rent",
        "деньги", "финансы", "финансовая помощь", "денег", "аренда",
        "geld", "finanzen", "finanzielle hilfe", "miete",
        "гроші", "фінанси", "фінансова допомога", "оренда",
    ),
    NeedKind.LAWYER: (
        "lawyer", "legal", "legal aid", "legal help", "attorney",
        "адвокат", "юрист", "юридическая помощь", "юрпомощь", "адвоката", "юриста",
        "anwalt", "anwältin", "anwaltin", "rechtsbeistand", "rechtshilfe", "rechtsberatung",
        "юридична допомога", "правова допомога",
    ),
    NeedKind.MEDICAL: (
        "medical", "doctor", "medicine", "medicines", "health", "treatment", "hospital",
        "врач", "медицина", "медицинская помощь", "лекарства", "лечение", "больница",
        "врача", "медпомощь",
        "arzt", "ärztin", "arztin", "medizinisch", "medizinische hilfe", "medikamente",
        "behandlung", "krankenhaus",
        "лікар", "медична допомога", "ліки", "лікування", "лікарня",
    ),
    NeedKind.PSYCHOLOGICAL: (
        "psychological", "psychologist", "psychological help", "therapy", "counselling",
        "психолог", "психологическая помощь", "психотерапия", "психолога",
        "psychologe", "psychologin", "psychologisch", "psychologische hilfe", "therapie",
        "психологічна допомога", "психотерапія",
    ),
    NeedKind.FOOD: (
        "food", "groceries", "meals",
        "еда", "продукты", "питание", "еды",
        "essen", "lebensmittel", "nahrung",
        "їжа", "продукти", "харчування",
    ),
    NeedKind.PARCELS: (
        "parcels", "parcels to detention", "parcel", "packages to prison",
        "передачи", "передача", "передачки", "посылки", "посылка", "передачи в сизо",
        "pakete", "paket", "pakete in haft",
        "передачі", "передача", "посилки", "посилка",
    ),
}

# Family relations: the canonical key (an English word, translated on writing) and the forms
# people write — singular (also "с женой", "with his son") and plural ("2 детей", "two sons":
# a number before a plural is a count, never an age).
RELATION_WORDS: dict[str, tuple[str, ...]] = {
    "wife": ("wife", "жена", "супруга", "жены", "женой", "супругой", "ehefrau", "frau", "gattin",
             "дружина", "дружиною"),
    "husband": ("husband", "муж", "супруг", "мужа", "мужем", "ehemann", "mann", "gatte",
                "чоловік", "чоловіком"),
    "spouse": ("spouse", "partner", "партнер", "партнерша", "ehepartner", "partnerin"),
    "son": ("son", "сын", "сына", "сыном", "sohn", "син", "сином"),
    "daughter": ("daughter", "дочь", "дочка", "дочерью", "дочкой", "tochter", "донька",
                 "донькою"),
    "child": ("child", "kid", "baby", "ребенок", "ребенка", "ребенком", "малыш", "kind", "baby",
              "дитина", "дитиною"),
    "mother": ("mother", "mum", "mom", "мать", "мама", "матерью", "мамой", "mutter", "мати",
               "мамою"),
    "father": ("father", "dad", "отец", "папа", "отцом", "папой", "vater", "батько", "тато",
               "батьком"),
    "brother": ("brother", "брат", "братом", "bruder", "братом"),
    "sister": ("sister", "сестра", "сестрой", "schwester", "сестрою"),
    "grandmother": ("grandmother", "grandma", "бабушка", "бабушкой", "großmutter", "grossmutter",
                    "oma", "бабуся", "бабця"),
    "grandfather": ("grandfather", "grandpa", "дедушка", "дедушкой", "großvater", "grossvater",
                    "opa", "дідусь", "дід"),
    "relative": ("relative", "member", "person", "родственник", "родственница", "член",
                 "человек", "verwandter", "verwandte", "angehöriger", "person", "родич", "особа"),
}  # fmt: skip
RELATION_PLURALS: dict[str, tuple[str, ...]] = {
    "wife": ("wives",),
    "son": ("sons", "сыновья", "сыновей", "сына", "söhne", "sohne", "сини", "синів"),
    "daughter": ("daughters", "дочери", "дочерей", "дочки", "дочек", "töchter",
                 "доньки", "доньок"),
    "child": ("children", "kids", "babies", "дети", "детей", "детьми", "ребенка", "ребят",
              "kinder", "kindern", "діти", "дітей", "дитини", "дітьми"),
    "parents": ("parents", "родители", "родителями", "eltern", "батьки", "батьками"),
    "brother": ("brothers", "братья", "братьев", "брата", "brüder", "брати", "братів"),
    "sister": ("sisters", "сестры", "сестер", "сестрами", "schwestern", "сестри", "сестер"),
    "relative": ("relatives", "members", "people", "persons", "родственники", "родственников",
                 "членов", "члена", "человека", "чел", "verwandte", "personen", "angehörige",
                 "angehorige", "родичі", "родичів", "особи", "осіб", "людей", "людини", "члени"),
}  # fmt: skip
# "parents" are two people: one member each.
RELATION_PAIRS = {"parents": ("mother", "father")}

# Cells that say "no family with him".
NO_FAMILY = (
    "no", "none", "alone", "single", "nobody", "no one", "0",
    "нет", "один", "одна", "сам", "сама", "никого", "без семьи", "холост", "не женат",
    "nein", "keine", "allein", "niemand", "ledig",
    "ні", "немає", "сам", "сама", "нікого", "без родини", "неодружений",
)
# Small numbers written as words, as in "жена и двое детей".
NUMBER_WORDS = {
    **dict.fromkeys(("one", "a", "an", "один", "одна", "одного", "одну", "ein", "eine",
                     "einen", "einer", "один", "одна", "одне"), 1),
    **dict.fromkeys(("two", "двое", "два", "две", "двух", "zwei", "двоє", "два", "дві"), 2),
    **dict.fromkeys(("three", "трое", "три", "трех", "drei", "троє", "три"), 3),
    **dict.fromkeys(("four", "четверо", "четыре", "vier", "четверо", "чотири"), 4),
    **dict.fromkeys(("five", "пятеро", "пять", "fünf", "funf", "пятеро", "пять"), 5),
}
# Words between the relations and counts that carry nothing: "жена и 2 детей (5 и 8 лет)".
FILLER_WORDS = frozenset(
    (
        "and", "with", "plus", "his", "her", "their", "of", "aged", "age", "years", "year",
        "yrs", "yo", "y", "old",
        "и", "с", "со", "его", "ее", "их", "лет", "год", "года", "г", "возраст", "по",
        "und", "mit", "sein", "seine", "ihr", "ihre", "jahre", "jahren", "jahr", "j", "alt",
        "і", "й", "та", "з", "із", "його", "її", "їх", "років", "рік", "роки", "р", "вік",
        # "семья из 3 человек", "family of 3", "3 члена семьи"
        "family", "семья", "семьи", "из", "familie", "aus", "сім'я", "родина", "родини",
    )
)
