#!/usr/bin/env bash
# `make test`: set up both environments, regenerate the training data and train the bot when it
# changed, then run every test against the PostgreSQL and Redis on 127.0.0.1 (TEST_POSTGRES_URL,
# TEST_REDIS_URL override them), and against the embedded defaults where the backend matters. The
# bot tests start their own app and Rasa server on free ports. Each phase prints how long it took,
# so a slow phase shows in every CI log.
set -euo pipefail
cd "$(dirname "$0")/.."

timings=()
phase() {
    local name=$1 started=$SECONDS status=0
    shift
    "$@" || status=$?
    timings+=("$(printf '%-13s %5d s%s' "$name" $((SECONDS - started)) "$([ $status = 0 ] || echo " (failed: $status)")")")
    echo "==> $name: $((SECONDS - started)) s"
    return $status
}
summary() {
    echo "==> phase times:"
    printf '    %s\n' "${timings[@]}"
}
trap summary EXIT

phase environments bash scripts/bootstrap.sh
phase services bash scripts/check_services.sh
phase browser bash scripts/browser.sh
phase training bash scripts/train.sh
# ruff (pyproject.toml [tool.ruff]) and import-linter (pyproject.toml [tool.importlinter]: one dependency
# direction, no import cycles): a lint error fails the suite like a failing test.
lint() {
    .venv/bin/ruff check bot miniprogram_api knowledge tests bench scripts && .venv/bin/lint-imports
}
phase lint lint
# Two workers (pytest-xdist): while one runs a group of tests that share a Rasa stack (the model's
# life cycle alone takes minutes of training and loading), the other runs the rest. PYTEST_WORKERS=0
# runs everything in one process.
phase tests .venv/bin/python -m pytest -q --durations=25 -n "${PYTEST_WORKERS:-2}" "$@"
