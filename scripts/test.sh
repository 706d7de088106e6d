#!/usr/bin/env bash
# `make test`: set up both environments, regenerate the training data and train the bot when it
# changed, then run every test against the PostgreSQL and Redis on 127.0.0.1 (TEST_POSTGRES_URL,
# TEST_REDIS_URL override them) and against the embedded defaults. The bot tests start their own
# app and Rasa server on free ports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/check_services.sh
bash scripts/browser.sh
bash scripts/train.sh
exec .venv/bin/python -m pytest -q "$@"
