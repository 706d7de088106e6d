"""How well a model understands the held-out test set (bench/data/nlu_test.yml, never used for training):
intent accuracy overall and per intent, and how a candidate model compares with the one in service.

The parsing itself happens in Rasa's environment (scripts/evaluate_model.py), in a subprocess, so the
app's event loop and the serving Rasa are never blocked by it."""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
EVALUATOR = ROOT / "scripts" / "evaluate_model.py"


class EvaluationFailed(Exception):
    pass


def load_cases(test_set: Path) -> list[dict[str, Any]]:
    return yaml.safe_load(test_set.read_text(encoding="utf-8"))["tests"]


def test_set_digest(test_set: Path) -> str:
    return hashlib.sha256(test_set.read_bytes()).hexdigest()[:16]


def score(cases: list[dict[str, Any]], predicted: list[str]) -> dict[str, Any]:
    """{"n", "correct", "accuracy", "per_intent": {intent: [n, correct]}} for the expected vs predicted intents."""
    per_intent: dict[str, list[int]] = {}
    for case, got in zip(cases, predicted, strict=True):
        counts = per_intent.setdefault(case["intent"], [0, 0])
        counts[0] += 1
        counts[1] += got == case["intent"]
    n, correct = len(cases), sum(c for _, c in per_intent.values())
    return {"n": n, "correct": correct, "accuracy": correct / n if n else 0.0,
            "per_intent": dict(sorted(per_intent.items()))}


def compare(candidate: dict[str, Any], serving: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per-intent accuracy of the candidate next to the serving model's, biggest changes first."""
    rows = []
    old = (serving or {}).get("per_intent", {})
    for intent in sorted(set(candidate["per_intent"]) | set(old)):
        n, correct = candidate["per_intent"].get(intent, [0, 0])
        accuracy = correct / n if n else None
        was = old.get(intent)
        serving_accuracy = was[1] / was[0] if was and was[0] else None
        change = None if accuracy is None or serving_accuracy is None else accuracy - serving_accuracy
        rows.append({"intent": intent, "n": n, "accuracy": accuracy, "serving_accuracy": serving_accuracy,
                     "change": change})
    rows.sort(key=lambda r: (-(abs(r["change"]) if r["change"] is not None else 0), r["intent"]))
    return rows


async def evaluate(model_paths: list[Path], test_set: Path, log=None) -> list[dict[str, Any]]:
    """Parses the test set with each model; returns, per model, its Rasa model id and score()."""
    cases = load_cases(test_set)
    with tempfile.TemporaryDirectory(prefix="govhall-eval-") as tmp:
        out = Path(tmp) / "predictions.json"
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_INTRA_OP_PARALLELISM_THREADS": "1",
               "TF_INTER_OP_PARALLELISM_THREADS": "1"}
        proc = await asyncio.create_subprocess_exec(
            "nice", "-n", "10", str(RASA_PYTHON), str(EVALUATOR), "--test", str(test_set), "--out", str(out),
            *map(str, model_paths), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env)
        _, err = await proc.communicate()
        if proc.returncode != 0 or not out.exists():
            tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
            raise EvaluationFailed(f"evaluate_model.py exited with {proc.returncode}: {' | '.join(tail)}")
        if log:
            log(f"evaluated {len(cases)} sentences with {len(model_paths)} model(s)")
        models = json.loads(out.read_text(encoding="utf-8"))["models"]
    return [{"model_id": m["model_id"], **score(cases, [p["intent"] for p in m["predictions"]])} for m in models]
