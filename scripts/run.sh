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
# Secrets the app and Rasa share for this run unless set: Rasa sends ACTIONS_TOKEN with every action
# call (the actions refuse calls without it) and Rasa's HTTP API answers only calls with RASA_TOKEN.
secret() { .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))'; }
export ACTIONS_TOKEN="${ACTIONS_TOKEN:-$(secret)}" RASA_TOKEN="${RASA_TOKEN:-$(secret)}"
# The demo has no mini-program, so citizens log in through the development login, which trusts any
# openid: it is on only when asked for, as here. Never set DEV_LOGIN=1 on a server citizens reach.
if [ -z "${WXA_APP_ID:-}" ]; then
    export DEV_LOGIN="${DEV_LOGIN:-1}"
    if [ "$DEV_LOGIN" = 1 ]; then echo "==> development login on (DEV_LOGIN=1, no WXA_APP_ID): for a demo only"; fi
fi
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
