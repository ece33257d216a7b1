#!/usr/bin/env bash
# Install uv (https://docs.astral.sh/uv/) into a virtual environment of its own, DIR (default
# .tools), so that DIR/bin/uv works; `make` uses it when no uv is on PATH or in python3. This
# works on Debian's own python3 as well, which refuses `pip install` outside a virtual
# environment (PEP 668, "externally managed"), and as root without pip's root warning. Only
# PyPI is needed. PYTHON picks the interpreter (default python3).
set -euo pipefail
dir="${1:-.tools}"
python="${PYTHON:-python3}"
[ -x "$dir/bin/uv" ] && exit 0

echo "Installing uv into $dir (a virtual environment of its own)…"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
if ! "$python" -m venv "$dir" >/dev/null 2>&1; then
    # Debian without python3-venv has no ensurepip: an environment without pip, filled by
    # the system's pip from outside.
    rm -rf "$dir"
    if ! { "$python" -m venv --without-pip "$dir" && "$python" -m pip --version; } >/dev/null 2>&1; then
        rm -rf "$dir"
        echo "Cannot make a virtual environment with $python: install uv" \
            "(https://docs.astral.sh/uv/) or Debian's python3-venv (sudo apt-get install python3-venv)." >&2
        exit 1
    fi
    "$python" -m pip --python "$dir/bin/python" install -qq uv
else
    "$dir/bin/python" -m pip install -qq uv
fi
"$dir/bin/uv" --version >/dev/null
