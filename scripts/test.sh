#!/usr/bin/env bash
# `make test`: set up both environments, then run every test against the PostgreSQL and Redis
# on 127.0.0.1 (TEST_POSTGRES_URL, TEST_REDIS_URL override them) and the embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/check_services.sh
exec .venv/bin/python -m pytest -q "$@"
