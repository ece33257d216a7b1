"""Words in Latin letters that a Russian or Ukrainian page may show: proper names kept as
they are written (organisations, products, laws), technical tokens, and the login names of
the members signed in by the crawler. Everything else in Latin letters on such a page is
English left untranslated."""

from babel.numbers import list_currencies

ORGANISATIONS = {
    "UNHCR", "Amnesty", "International", "Pro", "Asyl", "Connection", "e.V.", "BAMF", "OFPRA",
    "CNDA", "IRCC", "BMI", "USCIS", "IRPR",
}  # fmt: skip
PRODUCTS = {
    "Waystation", "Telegram", "Signal", "WhatsApp", "Tor", "Browser", "Google", "iCloud",
    "Drive", "Aegis", "FreeOTP", "Markdown", "BagIt", "SQLCipher", "PostgreSQL", "Android",
    "iPhone", "Desktop", "Excel", "LibreOffice", "Sheets", "Windows", "Unix",
    "ProofMode", "OpenTimestamps", "Bitcoin", "C2PA", "OpenPGP",
}  # fmt: skip
LAWS = {"INA", "IRPA", "AufenthG", "AsylG"}
TECHNICAL = {
    "SHA", "SIM", "IMEI", "PIN", "SMS", "PDF", "CSV", "XLSX", "ODS", "ZIP", "JSON", "HTML",
    "TOTP", "GPS", "EXIF", "IP", "IBAN", "USDT", "UUID", "URL", "QR", "Ed25519", "age", "VPN",
    "JPEG", "PNG", "WebP", "GIF", "MOV", "OGG", "MP4", "xls", "UTC", "ISO", "cookie",
    "API", "OpenAPI",
    "BEAC",  # in the CLDR names of the Central African CFA franc
}  # fmt: skip
# The crawler's members sign in under these names (a login is not translated).
LOGINS = {"irina", "bogdan", "lidia", "denys", "stepan", "olha", "former"}

ALLOWED = frozenset(ORGANISATIONS | PRODUCTS | LAWS | TECHNICAL | LOGINS | set(list_currencies()))
