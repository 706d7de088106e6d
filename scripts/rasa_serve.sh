#!/usr/bin/env bash
# Serves the trained model (RASA_MODEL, relative to intents/; default models/current.tar.gz) on
# 127.0.0.1:$RASA_PORT with the app as its action endpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
# One TensorFlow thread per pool: on 2 cores, TF's spinning thread pools burned ~20 % of Rasa's CPU
# per message for nothing (inference on one short sentence does not parallelise usefully).
export TF_INTRA_OP_PARALLELISM_THREADS="${TF_INTRA_OP_PARALLELISM_THREADS:-1}"
export TF_INTER_OP_PARALLELISM_THREADS="${TF_INTER_OP_PARALLELISM_THREADS:-1}"
endpoints="var/rasa-endpoints-${RASA_PORT:-5005}.yml"
.venv/bin/python -m bot.rasa_endpoints "$endpoints"
cd intents
exec ../.venv-rasa/bin/rasa run --enable-api -i 127.0.0.1 --port "${RASA_PORT:-5005}" \
    --model "${RASA_MODEL:-models/current.tar.gz}" --endpoints "../$endpoints" --credentials credentials.yml
