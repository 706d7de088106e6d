#!/usr/bin/env bash
# Creates (or updates) both virtual environments; does nothing when their inputs are unchanged.
#   .venv       the app, on Python 3.11 (pyproject.toml, pinned by constraints-app.txt)
#   .venv-rasa  Rasa 3.6.21, on Python 3.10 (requirements-rasa.txt, pinned by constraints-rasa.txt)
# PYTHON311 / PYTHON310 override the interpreters found.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
    local version=$1; shift
    local candidate
    for candidate in "$@" "python$version" "$HOME/.pyenv/versions/$version".*/bin/python "/usr/local/bin/python$version" "/usr/bin/python$version"; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import sys, venv; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))" 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

make_venv() {  # dir python stamp install-command...
    local dir=$1 python=$2 stamp=$3; shift 3
    if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ] && [ -x "$dir/bin/python" ]; then
        return 0
    fi
    echo "==> setting up $dir with $python (first time: a few minutes)"
    [ -x "$dir/bin/python" ] || "$python" -m venv "$dir"
    "$@"
    echo "$stamp" > "$dir/.stamp"
}

PY311=$(find_python 3.11 "${PYTHON311:-}") || {
    echo "error: no Python 3.11 found. Install it (e.g. 'pyenv install 3.11' or 'apt-get install python3.11 python3.11-venv') or set PYTHON311=/path/to/python3.11" >&2
    exit 1
}
PY310=$(find_python 3.10 "${PYTHON310:-}") || {
    echo "error: no Python 3.10 found; Rasa 3.6 runs only on Python 3.8-3.10." >&2
    echo "Install it (e.g. 'pyenv install 3.10.13' or 'apt-get install python3.10 python3.10-venv') or set PYTHON310=/path/to/python3.10" >&2
    exit 1
}

pip_quiet() {  # runs pip, showing its output only when it fails
    local log
    log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

make_venv .venv "$PY311" "$(stamp_of pyproject.toml constraints-app.txt)" \
    pip_quiet .venv/bin/pip install --quiet -c constraints-app.txt -e '.[test]'
make_venv .venv-rasa "$PY310" "$(stamp_of requirements-rasa.txt constraints-rasa.txt)" \
    pip_quiet .venv-rasa/bin/pip install --quiet -r requirements-rasa.txt -c constraints-rasa.txt
# The staff pages' front-end libraries (web/package.json: ECharts), from the npm registry, exactly as
# web/package-lock.json pins them; the app serves them itself.
web_stamp=$(stamp_of web/package-lock.json)
if [ ! -f web/node_modules/.stamp ] || [ "$(cat web/node_modules/.stamp)" != "$web_stamp" ]; then
    command -v npm >/dev/null || { echo "error: npm is missing (the dashboard's charts come from the npm registry); install Node.js and npm" >&2; exit 1; }
    echo "==> installing the staff pages' libraries (web/package-lock.json)"
    pip_quiet npm ci --prefix web --no-audit --no-fund
    echo "$web_stamp" > web/node_modules/.stamp
fi
echo "==> environments ready: .venv ($("$PY311" --version)), .venv-rasa ($("$PY310" --version))"
