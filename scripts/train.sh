#!/usr/bin/env bash
# Regenerates the knowledge-base-derived training data, then trains the Rasa model only when
# the training inputs changed (fingerprint in intents/models/current.fingerprint). A model trained on
# this machine from the same inputs (a fresh clone, CI) is taken from the cache instead:
# $GOVHALL_CACHE (default ~/.cache/govhall)/models/<fingerprint>.tar.gz, the newest few kept.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
.venv/bin/python -m bot.nlu_generate
fingerprint=$( (cat constraints-rasa.txt intents/config.yml; find intents/domain intents/data intents/generated -type f | LC_ALL=C sort | xargs cat) | sha256sum | cut -c1-32)
if [ -f intents/models/current.tar.gz ] && [ "$(cat intents/models/current.fingerprint 2>/dev/null)" = "$fingerprint" ]; then
    echo "==> Rasa model is up to date ($fingerprint)"
    exit 0
fi
cache="${GOVHALL_CACHE:-$HOME/.cache/govhall}/models"
if [ -f "$cache/$fingerprint.tar.gz" ]; then
    mkdir -p intents/models
    cp "$cache/$fingerprint.tar.gz" intents/models/current.tar.gz
    echo "$fingerprint" > intents/models/current.fingerprint
    touch "$cache/$fingerprint.tar.gz"
    echo "==> Rasa model for these inputs taken from $cache ($fingerprint)"
    exit 0
fi
echo "==> training the Rasa model (a few minutes on 2 cores)"
started=$(date +%s)
(cd intents && ../.venv-rasa/bin/rasa train --config config.yml --domain generated/domain.yml --data data \
    --out models --fixed-model-name current --quiet)
echo "$fingerprint" > intents/models/current.fingerprint
if mkdir -p "$cache" 2>/dev/null && cp intents/models/current.tar.gz "$cache/$fingerprint.tar.gz.tmp" 2>/dev/null; then
    mv "$cache/$fingerprint.tar.gz.tmp" "$cache/$fingerprint.tar.gz"
    ls -t "$cache"/*.tar.gz | tail -n +4 | xargs -r rm -f
fi
echo "==> trained in $(( $(date +%s) - started )) s"
