"""The trained models kept on disk (MODEL_DIR) and which one Rasa serves.

Rasa names the model it serves by its model id (GET /status); a model Rasa was started with that no
retrain produced (intents/models/current.tar.gz from scripts/train.sh) is registered on first sight as
the "baseline", copied into MODEL_DIR so it can be rolled back to even after the project retrains."""
from __future__ import annotations

import json
import shutil
import tarfile
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from tortoise.exceptions import IntegrityError

from bot.rasa_client import RasaClient
from miniprogram_api.clock import TZ
from miniprogram_api.errors import NotFound
from miniprogram_api.models.training import ModelDeployment, ModelVersion

log = structlog.get_logger(__name__)
ROOT = Path(__file__).resolve().parent.parent
PROJECT_MODELS = ROOT / "intents" / "models"
POINTER = "serving"  # MODEL_DIR/serving names the deployed model file; scripts/rasa_serve.sh starts with it


def now() -> datetime:
    # The hall's time zone, as the database session uses: SQLite compares stored datetimes as text.
    return datetime.now(TZ)


def model_id_of(path: Path) -> str | None:
    """The Rasa model id written in a model archive's metadata."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile("metadata.json")
            return json.load(member).get("model_id") if member else None
    except (OSError, tarfile.TarError, KeyError, ValueError):
        return None


async def register(path: Path, source: str, rasa_model_id: str | None = None) -> ModelVersion:
    rasa_model_id = rasa_model_id or model_id_of(path)
    if rasa_model_id:
        known = await ModelVersion.get_or_none(rasa_model_id=rasa_model_id)
        if known:
            return known
    try:
        return await ModelVersion.create(name=path.name, path=str(path), rasa_model_id=rasa_model_id, source=source,
                                         files_present=path.exists())
    except IntegrityError:  # registered meanwhile by another request or worker
        return await ModelVersion.get(rasa_model_id=rasa_model_id) if rasa_model_id else await ModelVersion.get(name=path.name)


async def serving(rasa: RasaClient, model_dir: Path) -> ModelVersion | None:
    """The model the first live Rasa process serves (all serve the same one outside a deploy), or None
    when no Rasa process answers."""
    # A process busy with messages may take a while to answer /status: more time than the health check's.
    status = next((s for s in (await rasa.statuses(timeout=5.0)).values() if s), None)
    if not status or not status.get("model_id"):
        return None
    known = await ModelVersion.get_or_none(rasa_model_id=status["model_id"])
    if known:
        return known
    file_name = Path(status.get("model_file") or "").name
    for candidate in (model_dir / file_name, PROJECT_MODELS / file_name):
        if file_name and candidate.is_file() and model_id_of(candidate) == status["model_id"]:
            model_dir.mkdir(parents=True, exist_ok=True)
            kept = model_dir / f"baseline-{status['model_id'][:12]}.tar.gz"
            if not kept.exists():
                shutil.copyfile(candidate, kept)
            return await register(kept, "baseline", status["model_id"])
    log.warning("serving_model_file_not_found", model_file=file_name)
    return await register(model_dir / (file_name or status["model_id"]), "baseline", status["model_id"])


def _served(model: ModelVersion, last_deployed: datetime | None) -> bool:
    return model.source == "baseline" or last_deployed is not None


async def _last_deployed(ids: list[int]) -> dict[int, datetime]:
    """When each model last went into service successfully, in one query."""
    rows = await ModelDeployment.filter(model_id__in=ids, status="succeeded").values_list("model_id", "finished_at")
    last: dict[int, datetime] = {}
    for model_id, finished in rows:
        if finished is not None and (model_id not in last or finished > last[model_id]):
            last[model_id] = finished
    return last


async def served_before(model: ModelVersion) -> bool:
    return _served(model, (await _last_deployed([model.id])).get(model.id))


async def views(models: list[ModelVersion], serving_id: int | None) -> list[dict[str, Any]]:
    last = await _last_deployed([m.id for m in models])
    return [_view(m, serving_id, last.get(m.id)) for m in models]


async def view(model: ModelVersion, serving_id: int | None) -> dict[str, Any]:
    return (await views([model], serving_id))[0]


def _view(model: ModelVersion, serving_id: int | None, last_deployed: datetime | None) -> dict[str, Any]:
    evaluation = model.evaluation or {}
    return {"id": model.id, "name": model.name, "source": model.source,
            "created_at": model.created_at.isoformat() if model.created_at else None,
            "intent_accuracy": model.intent_accuracy, "n_tests": evaluation.get("n"),
            "evaluated_at": model.evaluated_at.isoformat() if model.evaluated_at else None,
            "files_present": model.files_present and Path(model.path).is_file(),
            "serving": model.id == serving_id, "served_before": _served(model, last_deployed),
            "last_deployed_at": last_deployed.isoformat() if last_deployed else None}


def write_pointer(model_dir: Path, model_path: Path) -> None:
    model_dir.mkdir(parents=True, exist_ok=True)
    tmp = model_dir / f".{POINTER}.tmp"
    tmp.write_text(str(model_path.resolve()) + "\n", encoding="utf-8")
    tmp.replace(model_dir / POINTER)


async def prune(model_dir: Path, keep: int, serving_id: int | None) -> list[str]:
    """Deletes the files of trained models beyond the newest `keep`, never the serving one; returns their names."""
    removed = []
    trained = await ModelVersion.filter(source="trained", files_present=True).order_by("-created_at", "-id")
    for model in trained[keep:]:
        if model.id == serving_id:
            continue
        Path(model.path).unlink(missing_ok=True)
        model.files_present = False
        await model.save(update_fields=["files_present"])
        removed.append(model.name)
    if removed:
        log.info("models_pruned", removed=removed, keep=keep)
    return removed


async def all_versions() -> list[ModelVersion]:
    return await ModelVersion.all().order_by("-created_at", "-id")


async def version_or_raise(model_id: int) -> ModelVersion:
    model = await ModelVersion.get_or_none(id=model_id)
    if model is None:
        raise NotFound("not_found", "没有这个模型", {"id": str(model_id)})
    return model
