#!/usr/bin/env bash
# `make run`: set up, migrate, seed the demo data on first start, train the bot when its data changed,
# then serve Rasa (RASA_PORT, default 5005) and the app (APP_PORT, default 8080) until interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

export APP_PORT="${APP_PORT:-8080}" RASA_PORT="${RASA_PORT:-5005}"
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
    bash scripts/rasa_serve.sh &
    pids+=($!)
else
    echo "==> no Rasa project in intents/ yet: serving the app without the bot"
fi

echo "==> app on http://127.0.0.1:${APP_PORT} (health: /healthz); Ctrl-C stops everything"
.venv/bin/govhall serve &
pids+=($!)
wait -n "${pids[@]}"
