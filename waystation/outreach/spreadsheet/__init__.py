"""Reading and writing the spreadsheets coordinators keep: no database here."""
