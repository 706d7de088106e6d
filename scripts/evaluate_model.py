"""Parses every sentence of the held-out test set with one or more trained Rasa models and prints the
predictions as JSON. Runs in Rasa's environment (.venv-rasa), so it imports nothing of the app:

    .venv-rasa/bin/python scripts/evaluate_model.py --test bench/data/nlu_test.yml --out F MODEL.tar.gz [MODEL ...]

Writes to F (Rasa logs to stdout): {"models": [{"path", "model_id", "predictions": [{"text", "intent", "confidence"}]}]}, where the
intent of a FAQ question is the response selector's "faq/<key>", as the test set labels it.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _intent(parsed: dict) -> tuple[str, float]:
    # The same reading as bot.understanding.faq_key, which this script (in Rasa's env) cannot import.
    intent = parsed.get("intent") or {}
    name, confidence = intent.get("name") or "", float(intent.get("confidence") or 0.0)
    if name == "faq":
        key = (parsed.get("response_selector", {}).get("faq", {}).get("response", {}).get("intent_response_key"))
        name = key or name
    return name, confidence


async def evaluate(path: str, texts: list[str]) -> dict:
    from rasa.core.agent import Agent

    agent = Agent.load(path)
    predictions = []
    for text in texts:
        name, confidence = _intent(await agent.parse_message(text))
        predictions.append({"text": text, "intent": name, "confidence": round(confidence, 4)})
    return {"path": path, "model_id": agent.model_id, "predictions": predictions}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", required=True, help="the held-out test set (YAML with tests: [{text, intent}])")
    parser.add_argument("--out", required=True, help="where to write the predictions (JSON)")
    parser.add_argument("models", nargs="+")
    args = parser.parse_args()
    import yaml

    with open(args.test, encoding="utf-8") as f:
        texts = [case["text"] for case in yaml.safe_load(f)["tests"]]
    logging.disable(logging.WARNING)
    results = [asyncio.run(evaluate(path, texts)) for path in args.models]
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"models": results}, f, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
