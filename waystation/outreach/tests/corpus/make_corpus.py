"""Writes the corpus of messy outreach spreadsheets beside this script, and expected.json with
what an import must make of each: hand-made files as people's programs save them (Excel on
Russian and German Windows, Excel's "Unicode text", LibreOffice, Google Sheets), with title
rows, merged cells, totals, hidden sheets, mixed dates, formulas and broken rows.

Run ``uv run python waystation/outreach/tests/corpus/make_corpus.py`` after changing it; the
files are committed, so the tests never depend on this script's libraries or on today's date.
The expectations are written here by hand next to each file, not taken from the importer.
"""

import datetime
import json
import zipfile
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
D = datetime.date

# The same eight approaches, written out differently by every file.
BASE = [
    (D(2022, 10, 3), "Посольство Германии в Астане", "визовый отдел", "email", "нет ответа", None),
    (D(2022, 10, 5), 'ООО "Рога, копыта и партнёры"', "Иван Петров", "phone", "отказ",
     D(2022, 10, 7)),
    (D(2022, 10, 11), "Pro Asyl", "Beratung", "email", "обратитесь в посольство", D(2022, 10, 20)),
    (D(2022, 10, 14), "Amnesty International", "", "web form", "нет ответа", None),
    (D(2022, 11, 2), "UNHCR Kazakhstan", "protection unit", "letter", "автоответ", D(2022, 11, 2)),
    (D(2022, 11, 13), "Посольство Германии в Астане", "консул", "visit", "нет ответа", None),
    (D(2023, 1, 20), "Memorial", "", "Telegram", "помощь юриста", D(2023, 2, 1)),
    (D(2023, 2, 14), "Pro Asyl", "", "email", "нет ответа", None),
]
ORGANISATIONS = len({row[1] for row in BASE})  # 6
EXPECTED: dict[str, dict] = {}


def dmy(day) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def expect(name: str, **facts) -> None:
    """records, organisations, rejected {line: [reason fragments]}, and optionally encoding,
    delimiter, header_line, sheet, below (lines left out), flags [[line, field]], values
    [[line, field, value as a string]], notes (fragments)."""
    EXPECTED[name] = facts


def csv_text(rows, delimiter=",") -> str:
    def cell(value) -> str:
        text = "" if value is None else str(value)
        if any(ch in text for ch in (delimiter, '"', "\n", "\r")):
            return '"' + text.replace('"', '""') + '"'
        return text

    return "".join(delimiter.join(cell(v) for v in row) + "\r\n" for row in rows)


def write(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


# --- 1. Excel on a Russian Windows: cp1251, semicolons, a title and a blank line above -------
rows = [["Журнал обращений за 2022–2023 годы"], [], ["Дата", "Организация", "Контактное лицо",
        "Канал", "Ответ", "Дата ответа", "Комментарий"]]
for sent, org, contact, channel, answer, answered in BASE:
    rows.append([dmy(sent), org, contact, channel, answer, dmy(answered), 'сказали "ждите", потом'])
rows.append(["31.02.2023", "Pro Asyl", "", "email", "нет ответа", "", ""])
write("excel-ru-cp1251.csv", csv_text(rows, ";").encode("cp1251"))
expect(
    "excel-ru-cp1251.csv",
    records=8, organisations=ORGANISATIONS, encoding="cp1251", delimiter=";", header_line=3,
    rejected={"12": ["31.02.2023 is not a date"]},
    values=[[5, "organisation", 'ООО "Рога, копыта и партнёры"'],
            [4, "comment", 'сказали "ждите", потом']],
)

# --- 2. The same log cleaned by hand: commas, "Куда", "Кому", "Когда ответили" -------------
rows = [["Дата обращения", "Куда", "Кому", "Ответ", "Когда ответили"]]
for index in range(30):
    sent, org, contact, _channel, answer, answered = BASE[index % len(BASE)]
    rows.append([dmy(sent), org, contact, answer, dmy(answered)])
rows[31 - 1][0] = "31.02.2023"  # the 30th data row, line 31
write("cleaned-by-hand-commas.csv", csv_text(rows).encode("cp1251"))
expect(
    "cleaned-by-hand-commas.csv",
    records=29, organisations=ORGANISATIONS, encoding="cp1251", delimiter=",", header_line=1,
    rejected={"31": ["31.02.2023 is not a date"]},
    mapping={"date": 0, "organisation": 1, "contact": 2, "response": 3, "response_date": 4},
    values=[[2, "organisation", "Посольство Германии в Астане"], [2, "contact", "визовый отдел"],
            [3, "response_date", "2022-10-07"]],
)

# --- 3. Excel on a German Windows: Windows-1252, semicolons, German headers -----------------
rows = [["Datum", "Organisation", "Ansprechpartner", "Kanal", "Antwort", "Antwortdatum",
         "Bemerkung"]]
for sent, org, contact, channel, answer, answered in BASE:
    rows.append([dmy(sent), org.replace("Посольство Германии в Astane", ""), contact, channel,
                 answer, dmy(answered), "Rückfrage nötig"])
german = csv_text(rows, ";")
german = german.replace("Посольство Германии в Астане", "Deutsche Botschaft Astana")
german = german.replace('ООО ""Рога, копыта и партнёры""', "Flüchtlingsrat Köln")
german = german.replace("визовый отдел", "Visastelle").replace("Иван Петров", "Frau Müller")
for ru, de in [("нет ответа", "keine Antwort"), ("отказ", "abgelehnt"),
               ("обратитесь в посольство", "weitergeleitet"), ("автоответ", "Eingangsbestätigung"),
               ("помощь юриста", "Hilfe angeboten"), ("консул", "Konsul")]:
    german = german.replace(ru, de)
write("excel-de-cp1252.csv", german.encode("cp1252"))
expect(
    "excel-de-cp1252.csv",
    records=8, organisations=ORGANISATIONS, encoding="cp1252", delimiter=";", header_line=1,
    rejected={},
    values=[[3, "organisation", "Flüchtlingsrat Köln"], [3, "contact", "Frau Müller"],
            [2, "comment", "Rückfrage nötig"]],
)

# --- 4. Excel "Unicode text": UTF-16 with a BOM, tab-separated -------------------------------
rows = [["Date", "Organisation", "Contact person", "Channel", "Response", "Response date"]]
for sent, org, contact, channel, answer, answered in BASE:
    rows.append([dmy(sent), org, contact, channel, answer, dmy(answered)])
write("excel-unicode-text.txt", ("\ufeff" + csv_text(rows, "\t")).encode("utf-16-le"))
expect(
    "excel-unicode-text.txt",
    records=8, organisations=ORGANISATIONS, encoding="utf-16", delimiter="\t", header_line=1,
    rejected={}, values=[[3, "organisation", 'ООО "Рога, копыта и партнёры"']],
)

# --- 5. LibreOffice CSV: UTF-8 without BOM, every text quoted, ISO dates ---------------------
lines = ['"Дата","Организация","Контакт","Канал","Ответ","Дата ответа"']
for sent, org, contact, channel, answer, answered in BASE:
    quoted = [f'"{v}"' if v else "" for v in (org.replace('"', '""'), contact, channel, answer)]
    lines.append(",".join([sent.isoformat(), *quoted, answered.isoformat() if answered else ""]))
write("libreoffice-utf8.csv", ("\n".join(lines) + "\n").encode())
expect(
    "libreoffice-utf8.csv",
    records=8, organisations=ORGANISATIONS, encoding="utf-8", delimiter=",", header_line=1,
    rejected={}, values=[[2, "date", "2022-10-03"], [3, "response_date", "2022-10-07"]],
)

# --- 6. Google Sheets download: UTF-8, CRLF, d/m/yyyy — one date shows the order ------------
rows = [["Date sent", "Organization", "Contact", "Channel", "Reply", "Reply date"]]
for sent, org, contact, channel, answer, answered in BASE:
    rows.append([f"{sent.day}/{sent.month}/{sent.year}", org, contact, channel, answer,
                 f"{answered.day}/{answered.month}/{answered.year}" if answered else ""])
write("google-sheets.csv", csv_text(rows).encode())
expect(
    "google-sheets.csv",
    records=8, organisations=ORGANISATIONS, encoding="utf-8", delimiter=",", header_line=1,
    rejected={}, values=[[2, "date", "2022-10-03"], [7, "date", "2022-11-13"]],
    notes=["read day first, as 14/10/2022 shows"],
)

# --- 7. American dates, month first, shown by 12/31 -------------------------------------------
rows = [["Date", "Organization", "Response"],
        ["10/3/2022", "UNHCR", "no answer"],
        ["12/31/2022", "IOM", "declined"],
        ["1/2/2023", "UNHCR", "no answer"]]
write("us-month-first.csv", csv_text(rows).encode())
expect(
    "us-month-first.csv",
    records=3, organisations=2, delimiter=",", header_line=1, rejected={},
    values=[[2, "date", "2022-10-03"], [4, "date", "2023-01-02"]],
    notes=["read month first, as 12/31/2022 shows"],
)

# --- 8. KOI8-R with vertical bars, from an old mail archive --------------------------------
rows = [["Дата", "Организация", "Ответ", "Дата ответа"]]
for sent, org, _contact, _channel, answer, answered in BASE:
    rows.append([dmy(sent), org.replace("ё", "е"), answer, dmy(answered)])
write("koi8r-bars.csv", csv_text(rows, "|").encode("koi8-r"))
expect(
    "koi8r-bars.csv",
    records=8, organisations=ORGANISATIONS, encoding="koi8-r", delimiter="|", header_line=1,
    rejected={}, values=[[2, "organisation", "Посольство Германии в Астане"]],
)

# --- 9. UTF-8 with a BOM and tabs ------------------------------------------------------------
rows = [["Дата", "Организация", "Ответ"]]
rows += [[dmy(sent), org, answer] for sent, org, _c, _ch, answer, _a in BASE]
write("utf8-bom-tabs.tsv", ("\ufeff" + csv_text(rows, "\t")).encode())
expect(
    "utf8-bom-tabs.tsv",
    records=8, organisations=ORGANISATIONS, encoding="utf-8", delimiter="\t", header_line=1,
    rejected={}, values=[[2, "organisation", "Посольство Германии в Астане"]],
)


# --- workbooks ------------------------------------------------------------------------------
def xlsx(build) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    build(workbook)
    stamp = datetime.datetime(2024, 1, 1)
    workbook.properties.created = workbook.properties.modified = stamp
    buffer = BytesIO()
    workbook.save(buffer)
    return _stable_zip(buffer.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """The same bytes every run: fixed times on the archive's members."""
    source = zipfile.ZipFile(BytesIO(data))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = info.compress_type
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


# --- 10. Excel, Russian: a merged title, a blank row, real dates and serial numbers ---------
def excel_ru(workbook):
    sheet = workbook.active
    sheet.title = "Журнал"
    sheet["A1"] = "Журнал"
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(["Date", "Organisation", "Contact person", "Channel", "Response", "Response date"])
    for index, (sent, org, contact, channel, answer, answered) in enumerate(BASE):
        serial = (sent - D(1899, 12, 30)).days
        sheet.append([sent if index % 2 else serial, org, contact, channel, answer, answered])


write("excel-ru-title.xlsx", xlsx(excel_ru))
expect(
    "excel-ru-title.xlsx",
    records=8, organisations=ORGANISATIONS, header_line=3, sheet="Журнал", rejected={},
    values=[[4, "date", "2022-10-03"], [5, "date", "2022-10-05"],
            [5, "response_date", "2022-10-07"]],
)


# --- 11. Excel, German: totals below ------------------------------------------------------------
def excel_de(workbook):
    sheet = workbook.active
    sheet.title = "Anfragen"
    sheet.append(["Datum", "Wohin", "An wen", "Antwort", "Antwort am"])
    for sent, org, contact, _channel, answer, answered in BASE:
        sheet.append([sent, org, contact, answer, answered])
    sheet.append([])
    sheet.append(["Summe", 8])


write("excel-de-totals.xlsx", xlsx(excel_de))
expect(
    "excel-de-totals.xlsx",
    records=8, organisations=ORGANISATIONS, header_line=1, rejected={}, below=[11],
    mapping={"date": 0, "organisation": 1, "contact": 2, "response": 3, "response_date": 4},
)


# --- 12. A hidden first sheet of lists, the log on the second -------------------------------
def hidden_first(workbook):
    lists = workbook.active
    lists.title = "Списки"
    lists.append(["Каналы"])
    lists.append(["email"])
    lists.sheet_state = "hidden"
    log = workbook.create_sheet("Лог")
    log.append(["Дата", "Организация", "Ответ"])
    for sent, org, _c, _ch, answer, _a in BASE:
        log.append([sent, org, answer])


write("hidden-first-sheet.xlsx", xlsx(hidden_first))
expect(
    "hidden-first-sheet.xlsx",
    records=8, organisations=ORGANISATIONS, header_line=1, sheet="Лог", passed_over=["Списки"],
    rejected={},
)


# --- 13. Every kind of date in one column ----------------------------------------------------
def mixed_dates(workbook):
    sheet = workbook.active
    sheet.append(["Дата", "Организация"])
    sheet.append([D(2023, 3, 12), "A"])  # a date cell
    sheet.append([45000, "B"])  # a serial: 2023-03-15
    sheet.append(["12.03.2023", "C"])
    sheet.append(["2023-03-12", "D"])
    sheet.append(["12 марта 2023", "E"])
    sheet.append(["март 2023", "F"])
    sheet.append(["03/2023", "G"])
    sheet.append(["12. März 2023", "H"])
    sheet.append(["12 березня 2023 р.", "I"])
    sheet.append([datetime.datetime(2023, 3, 12, 14, 30), "J"])
    sheet.append(["31.02.2023", "K"])
    sheet.append(["вчера", "L"])


write("mixed-dates.xlsx", xlsx(mixed_dates))
expect(
    "mixed-dates.xlsx",
    records=10, organisations=10, header_line=1,
    rejected={"12": ["31.02.2023 is not a date"], "13": ["“вчера” is not a date"]},
    values=[[2, "date", "2023-03-12"], [3, "date", "2023-03-15"], [4, "date", "2023-03-12"],
            [5, "date", "2023-03-12"], [6, "date", "2023-03-12"], [7, "date", "2023-03 (month)"],
            [8, "date", "2023-03 (month)"], [9, "date", "2023-03-12"], [10, "date", "2023-03-12"],
            [11, "date", "2023-03-12"]],
)

# --- 14. Trailing empty columns and rows, as Excel leaves them after deleting -----------------
rows = [["Дата", "Организация", "Ответ", "", "", "", "", "", ""]]
rows += [[dmy(s), o, a, "", "", "", "", "", ""] for s, o, _c, _ch, a, _an in BASE]
rows += [["", "", "", "", "", "", "", "", ""]] * 3
write("trailing-empty-columns.csv", csv_text(rows, ";").encode("utf-8-sig"))
expect(
    "trailing-empty-columns.csv",
    records=8, organisations=ORGANISATIONS, encoding="utf-8", delimiter=";", header_line=1,
    rejected={}, unused=[],
)


# --- ODS ------------------------------------------------------------------------------------
def ods(rows, *, title=None, span=0) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Лист1")
    if title:
        row = TableRow()
        cell = TableCell(valuetype="string", numbercolumnsspanned=span)
        cell.addElement(P(text=title))
        row.addElement(cell)
        table.addElement(row)
    for values in rows:
        row = TableRow()
        for value in values:
            if isinstance(value, datetime.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
                cell.addElement(P(text=value.strftime("%d.%m.%Y")))
            elif isinstance(value, int | float):
                cell = TableCell(valuetype="float", value=value)
                cell.addElement(P(text=str(value)))
            elif value in (None, ""):
                cell = TableCell()
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            row.addElement(cell)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    buffer = BytesIO()
    document.write(buffer)
    return _stable_zip(buffer.getvalue())


# --- 15. LibreOffice ODS with a merged title and "Итого" -------------------------------------
rows = [[], ["Дата", "Организация", "Кому", "Способ", "Ответ", "Дата ответа"]]
rows += [[s, o, c, ch, a, an] for s, o, c, ch, a, an in BASE]
rows += [["Итого: 8"]]
write("libreoffice-title-totals.ods", ods(rows, title="Обращения", span=6))
expect(
    "libreoffice-title-totals.ods",
    records=8, organisations=ORGANISATIONS, header_line=3, rejected={}, below=[12],
    values=[[4, "contact", "визовый отдел"]],
)

# --- 16. ODS with dates as text and as date cells, Ukrainian headers -------------------------
rows = [["Дата звернення", "Куди", "Кому", "Відповідь", "Коли відповіли"]]
for index, (sent, org, contact, _channel, answer, answered) in enumerate(BASE):
    rows.append([sent if index % 2 else dmy(sent), org, contact, answer, answered or ""])
write("libreoffice-ukrainian.ods", ods(rows))
expect(
    "libreoffice-ukrainian.ods",
    records=8, organisations=ORGANISATIONS, header_line=1, rejected={},
    mapping={"date": 0, "organisation": 1, "contact": 2, "response": 3, "response_date": 4},
)

# --- 17. Formulas: imported as text, flagged; nothing evaluated ------------------------------
rows = [["Дата", "Организация", "Комментарий"],
        ["01.03.2023", "UNHCR", "=SUM(A1:A3)"],
        ["02.03.2023", "=HYPERLINK(\"http://x\",\"IOM\")", "+7 701 555 12 34"],
        ["03.03.2023", "IOM", "@SUM(A1)"],
        ["04.03.2023", "IOM", "'=1+1"]]
write("formulas.csv", csv_text(rows).encode())
expect(
    "formulas.csv",
    records=4, organisations=3, header_line=1, rejected={},
    flags=[[2, "comment"], [3, "organisation"], [4, "comment"]],
    values=[[2, "comment", "=SUM(A1:A3)"], [3, "comment", "+7 701 555 12 34"],
            [5, "comment", "=1+1"]],
)

# --- 18. Every reason of a row, not the first -------------------------------------------------
rows = [["Дата", "Организация", "Ответ", "Дата ответа"],
        ["01.03.2023", "UNHCR", "отказ", "05.03.2023"],
        ["31.02.2023", "", "отказ", "30.02.2023"],
        ["10.03.2023", "IOM", "отказ", "01.03.2023"],
        ["11.03.2023", "", "", ""]]
write("every-reason.csv", csv_text(rows).encode())
expect(
    "every-reason.csv",
    records=1, organisations=1, header_line=1,
    rejected={"3": ["31.02.2023 is not a date", "“Organisation” is empty",
                    "Response date: 30.02.2023 is not a date"],
              "4": ["the response date is before the approach date"],
              "5": ["“Organisation” is empty"]},
)

# --- 19. Excel's "sep=;" hint line -------------------------------------------------------------
rows = [["Datum", "Organisation", "Antwort"]]
rows += [[dmy(s), o, a] for s, o, _c, _ch, a, _an in BASE]
write("excel-sep-hint.csv", ("sep=;\r\n" + csv_text(rows, ";")).encode("utf-8"))
expect(
    "excel-sep-hint.csv",
    records=8, organisations=ORGANISATIONS, delimiter=";", header_line=2, rejected={},
)


# --- 20. Notes below the data after a blank row, and a column nobody maps --------------------
def notes_below(workbook):
    sheet = workbook.active
    sheet.append(["Дата", "Организация", "Ответ", "Ответственный"])
    for sent, org, _c, _ch, answer, _a in BASE:
        sheet.append([sent, org, answer, "Саша"])
    sheet.append([])
    sheet.append(["Примечание: без ответа больше месяца — написать повторно"])
    sheet.append(["Обновлено в марте"])


write("notes-below.xlsx", xlsx(notes_below))
expect(
    "notes-below.xlsx",
    records=8, organisations=ORGANISATIONS, header_line=1, rejected={}, below=[11, 12],
    unused=["Ответственный"],
)

# --- 21. English headers people write, one wrong row among them ------------------------------
rows = [["When", "To whom", "How", "What they said", "Answered on", "Notes"]]
for sent, org, _contact, channel, answer, answered in BASE:
    rows.append([dmy(sent), org, channel, answer, dmy(answered), ""])
rows.append(["01.01.1985", "Old Fund", "letter", "", "", ""])
write("english-plain.csv", csv_text(rows).encode())
expect(
    "english-plain.csv",
    records=8, organisations=ORGANISATIONS, header_line=1,
    rejected={"10": ["01.01.1985 is before 1990"]},
    mapping={"date": 0, "organisation": 1, "channel": 2, "response_date": 4, "comment": 5},
)

(HERE / "expected.json").write_text(
    json.dumps(EXPECTED, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
)
print(f"wrote {len(EXPECTED)} files")
