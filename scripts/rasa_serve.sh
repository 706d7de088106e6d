#!/usr/bin/env bash
# Serves the trained model on 127.0.0.1:$RASA_PORT with the app as its action endpoint: RASA_MODEL
# (relative to intents/) when set; else the model curators last deployed (MODEL_DIR/serving, written by
# bot/deployment.py) unless scripts/train.sh has built models/current.tar.gz from changed project files
# since; else models/current.tar.gz.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
# One TensorFlow thread per pool: on 2 cores, TF's spinning thread pools burned ~20 % of Rasa's CPU
# per message for nothing (inference on one short sentence does not parallelise usefully).
export TF_INTRA_OP_PARALLELISM_THREADS="${TF_INTRA_OP_PARALLELISM_THREADS:-1}"
export TF_INTER_OP_PARALLELISM_THREADS="${TF_INTER_OP_PARALLELISM_THREADS:-1}"
endpoints="var/rasa-endpoints-${RASA_PORT:-5005}.yml"
.venv/bin/python -m bot.rasa_endpoints "$endpoints"
model="${RASA_MODEL:-}"
if [ -z "$model" ]; then
    model=intents/models/current.tar.gz
    pointer="${MODEL_DIR:-intents/models/versions}/serving"
    if [ -f "$pointer" ] && [ -f "$(cat "$pointer")" ] && [ "$pointer" -nt "$model" ]; then
        model=$(cat "$pointer")
    fi
else
    case "$model" in /*) ;; *) model="intents/$model" ;; esac
fi
model=$(realpath "$model")
echo "==> Rasa serves $model" >&2
cd intents
# bot/rasa_server.py is Rasa's CLI minus two pieces of per-message work (a schema re-check, the response
# selector on non-FAQ messages); bot/rasa_tracker_store.py is the tracker store the endpoints file names:
# both run in Rasa's environment.
export PYTHONPATH="$(cd .. && pwd)${PYTHONPATH:+:$PYTHONPATH}"
exec ../.venv-rasa/bin/python -m bot.rasa_server run --enable-api -i 127.0.0.1 --port "${RASA_PORT:-5005}" \
    --model "$model" --endpoints "../$endpoints" --credentials credentials.yml
