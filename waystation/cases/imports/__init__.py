"""Cases from a spreadsheet: a group's existing list of people, however it was kept, becomes
cases under codenames, with the columns that name a person put into the identity vault.

``schema`` describes the list for the import engine (``waystation.core.spreadsheets``),
``vocabulary`` holds the headers and words in English, Russian, German and Ukrainian,
``values`` turns cells into statuses, urgencies, needs and family members, ``services`` checks
and imports, ``writing`` writes 10,000 people in one transaction.
"""
