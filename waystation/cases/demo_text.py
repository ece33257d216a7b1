"""The words of the synthetic cases (see ``demo``): invented, in Russian and English, the way
the group writes. No name here is a real person's; no note holds a route or a helper."""

CITIES = [
    "Tbilisi",
    "Batumi",
    "Yerevan",
    "Gyumri",
    "Almaty",
    "Astana",
    "Bishkek",
    "Osh",
    "Tashkent",
    "Baku",
    "Istanbul",
    "Antalya",
    "Belgrade",
    "Podgorica",
    "Vilnius",
    "Riga",
    "Tallinn",
    "Warsaw",
    "Berlin",
    "Ulaanbaatar",
    "Тбилиси",
    "Ереван",
    "Алматы",
    "Бишкек",
    "Белград",
    "Стамбул",
]
LANGUAGES = (
    "Russian",
    "Russian",
    "Russian, English",
    "Russian, Ukrainian",
    "Russian, Kazakh",
    "Russian, Tatar",
    "Russian, Georgian",
    "Russian, English, German",
)
TAGS = [
    "mobilisation",
    "deserter",
    "journalist",
    "activist",
    "lgbt",
    "family",
    "children",
    "medical",
    "wanted",
    "interpol",
    "мобилизация",
    "журналист",
]
PLACES = (
    "Almaty city court",
    "Суд Бостандыкского района, Алматы",
    "Temporary detention facility, Astana",
    "ИВС ГУВД, Бишкек",
    "Tbilisi City Court",
    "Kentron district court, Yerevan",
    "Deportation centre, Istanbul",
    "СИЗО №1, Ташкент",
    "Migration police, Belgrade",
)
SUMMARIES = (
    "Объявлен в розыск за отказ от мобилизации. Живёт у знакомых, ищет работу.",
    "Журналист, дома возбуждено дело о «фейках». С ним жена и двое детей.",
    "Ушёл из части, боится экстрадиции. Нужен адвокат и жильё.",
    "Активистка, после обысков уехала с матерью. Нужна помощь с документами.",
    "Conscientious objector; a criminal case at home for refusing to serve.",
    "Volunteer who helped political prisoners; now wanted at home. Travels alone.",
    "Family of four; the father received a call-up. Children need school places.",
    "Detained on an Interpol notice; the court decides on extradition.",
)
NOTES_RU = (
    "Позвонил сегодня, голос спокойный. Жильё в {city} оплачено до конца месяца.",
    "Адвокат подал апелляцию, заседание назначено на {day}.",
    "Передали посылку в СИЗО: тёплые вещи, лекарства, продукты.",
    "Плохо спит после задержания, нужна консультация психолога.",
    "Встретились в {city}, обсудили варианты гуманитарной визы.",
    "Загранпаспорт просрочен, консульство отказало в продлении.",
    "Семья переехала к знакомым, дети пошли в школу.",
    "Перевели деньги на аренду: {amount} лари.",
    "Запрос об экстрадиции поступил в прокуратуру, ждём решения суда.",
    "Проверили телефон: удалены старые переписки, включено шифрование.",
    "Вызвали в миграционную службу на беседу, сопровождала волонтёрка.",
    "Нашли русскоговорящего врача, приём в четверг.",
    "Задержан при проверке документов, отпущен через {hours} часов.",
    "Родственники дома получили повестку на его имя.",
    "Письмо в посольство отправлено {weeks} недели назад, ответа нет.",
    "Свидание в СИЗО разрешили на {day}, список передачи согласовали.",
    "Работает курьером, на еду хватает, на жильё нет.",
    "Суд отложил заседание, следующее {day}.",
    "Получил временный вид на жительство на год.",
    "Просит помочь с переводом справок на английский.",
)
NOTES_EN = (
    "Called today, sounds calm. Housing in {city} is paid until the end of the month.",
    "The lawyer filed the appeal; the hearing is set for {day}.",
    "Parcel delivered to the detention centre: warm clothes, medicine, food.",
    "Not sleeping well since the detention; needs to see a psychologist.",
    "Met in {city} and went through the humanitarian visa options.",
    "Travel passport expired; the consulate refused to extend it.",
    "Rent money sent: {amount} EUR.",
    "The extradition request reached the prosecutor; waiting for the court.",
    "Embassy has not answered; the letter went out {weeks} weeks ago.",
    "Migration service interview on {day}; a volunteer went along.",
    "Found a Russian-speaking doctor, appointment on Thursday.",
    "Stopped at a document check, released after {hours} hours.",
    "Visit at the detention centre allowed on {day}.",
    "Works as a courier: enough for food, not for rent.",
    "Got a one-year temporary residence permit.",
    "Asks for help translating certificates into English.",
)
TASKS = (
    "Call the lawyer about the appeal",
    "Передать посылку в СИЗО",
    "Оплатить аренду за месяц",
    "Send the humanitarian visa application",
    "Найти психолога",
    "Check in by phone",
    "Продлить регистрацию",
    "Book the consulate appointment",
    "Перевести справки на английский",
)
RELATIONS = ("wife", "husband", "son", "daughter", "mother", "жена", "сын", "дочь", "мать")
NEED_NOTES = ("", "", "до конца месяца", "urgent", "для детей", "after release")
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
STREETS = ("ул. Лесная", "ул. Садовая", "Rustaveli Ave", "Abay St", "Tigran Mets Ave")
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
