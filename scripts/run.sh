#!/usr/bin/env bash
# `make run`: set up, migrate, seed the demo data on first start, train the bot when its data changed,
# then serve Rasa (RASA_PROCESSES processes, default 2, on RASA_PORT and the ports after it, default 5005)
# and the app (APP_PORT, default 8080) until interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

export APP_PORT="${APP_PORT:-8080}" RASA_PORT="${RASA_PORT:-5005}"
# Rasa works one message at a time on one core: two processes use both cores of a small machine
# (bench/bot_speed_bench.py --rasa-processes). The app sends each conversation to the same one.
RASA_PROCESSES="${RASA_PROCESSES:-2}"
case "$RASA_PROCESSES" in ''|*[!0-9]*|0) echo "RASA_PROCESSES must be a whole number >= 1, not '$RASA_PROCESSES'" >&2; exit 2 ;; esac
if [ -z "${RASA_URL:-}" ]; then
    urls=()
    for ((i = 0; i < RASA_PROCESSES; i++)); do urls+=("http://127.0.0.1:$((RASA_PORT + i))"); done
    RASA_URL=$(IFS=,; echo "${urls[*]}")
    export RASA_URL
fi
# A demo webhook token so `govhall wechat simulate` works out of the box; set your own for WeChat.
export WECHAT_TOKEN="${WECHAT_TOKEN:-govhall-dev-token}"
.venv/bin/govhall migrate
.venv/bin/govhall seed

pids=()
cleanup() {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

if [ -f intents/config.yml ]; then
    bash scripts/train.sh
    for ((i = 0; i < RASA_PROCESSES; i++)); do
        RASA_PORT=$((RASA_PORT + i)) bash scripts/rasa_serve.sh &
        pids+=($!)
    done
else
    echo "==> no Rasa project in intents/ yet: serving the app without the bot"
fi

echo "==> app on http://127.0.0.1:${APP_PORT} (health: /healthz); Ctrl-C stops everything"
.venv/bin/govhall serve &
pids+=($!)
wait -n "${pids[@]}"
