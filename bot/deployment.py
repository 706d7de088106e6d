"""Putting a model into service, and taking the service back to an earlier one.

Every Rasa process in RASA_URL loads the model through Rasa's `PUT /model`, one after the other.
While a process loads it does not answer; the conversation service's Rasa client keeps retrying within
the channel's budget, so a citizen's message sent meanwhile is answered late, not lost. Trackers live in
Redis when REDIS_URL is set (bot/rasa_endpoints.py), so conversations keep their state across the swap.

A deploy is refused when the candidate's intent accuracy on the held-out test set is more than
CURATION_MAX_DROP below the serving model's, unless an admin overrides. A roll-back goes to a model that
has served before and skips the gate: it is the way back."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis
import structlog

from bot import model_store
from bot.rasa_client import LOADING_GRACE, MODEL_LOADING_KEY, RasaClient, process_loading_key
from miniprogram_api.config import Settings
from miniprogram_api.errors import Conflict, Forbidden, NotFound, UpstreamFailed
from miniprogram_api.instruments import DEPLOYMENTS
from miniprogram_api.models.training import ModelDeployment, ModelVersion

log = structlog.get_logger(__name__)
LOCK_KEY = MODEL_LOADING_KEY  # one deploy at a time, and the Rasa client waits longer while it lasts
LOCK_SECONDS = int(LOADING_GRACE)  # the Rasa client waits for a deploy as long as this lock can last
LOAD_TIMEOUT = 600
# With several Rasa processes, one loads while the others answer: after a process is marked loading,
# new messages go elsewhere, and the ones it already has get this long to finish before the load.
DRAIN_SECONDS = 1.5


@dataclass
class Gate:
    intent_accuracy: float | None
    serving_accuracy: float | None
    drop: float | None
    max_drop: float

    @property
    def passes(self) -> bool:
        return self.drop is None or self.drop <= self.max_drop + 1e-9


def deployment_view(d: ModelDeployment, model: ModelVersion) -> dict[str, Any]:
    duration = (d.finished_at - d.started_at).total_seconds() if d.finished_at and d.started_at else None
    return {"id": d.id, "model_id": model.id, "model_name": model.name, "action": d.action, "staff": d.staff,
            "override": d.override, "status": d.status, "error": d.error,
            "started_at": d.started_at.isoformat() if d.started_at else None,
            "finished_at": d.finished_at.isoformat() if d.finished_at else None,
            "duration_s": round(duration, 1) if duration is not None else None}


class DeploymentService:
    def __init__(self, settings: Settings, rasa: RasaClient, redis: aioredis.Redis):
        self.settings = settings
        self.rasa = rasa
        self.redis = redis

    def gate(self, model: ModelVersion, serving: ModelVersion | None) -> Gate:
        serving_accuracy = serving.intent_accuracy if serving and serving.id != model.id else None
        drop = None
        if model.intent_accuracy is not None and serving_accuracy is not None:
            drop = serving_accuracy - model.intent_accuracy
        return Gate(model.intent_accuracy, serving_accuracy, drop, self.settings.curation_max_drop)

    async def put_into_service(self, model_id: int, staff: str, role: str, action: str,
                               override: bool = False) -> tuple[ModelVersion, ModelDeployment]:
        model = await ModelVersion.get_or_none(id=model_id)
        if model is None:
            raise NotFound("not_found", "没有这个模型", {"id": str(model_id)})
        if not Path(model.path).is_file():
            raise Conflict("model_missing", "这个模型的文件已经清理，不能上线", {"id": str(model_id)})
        serving = await model_store.serving(self.rasa, self.settings.model_dir)
        if serving and serving.id == model.id:
            raise Conflict("already_serving", "这个模型已经在服务中", {"id": str(model_id)})
        used_override = False
        if action == "rollback":
            if not await model_store.served_before(model):
                raise Conflict("never_served", "只能回滚到上线过的模型；新模型请用“上线”", {"id": str(model_id)})
        else:
            if model.intent_accuracy is None:
                raise Conflict("not_evaluated", "这个模型还没有评估，不能上线", {"id": str(model_id)})
            gate = self.gate(model, serving)
            if not gate.passes:
                if not override:
                    raise Conflict("accuracy_drop",
                                   f"新模型的意图准确率 {gate.intent_accuracy:.1%} 比在用模型的 {gate.serving_accuracy:.1%} "
                                   f"低了 {gate.drop:.1%}，超过允许的 {gate.max_drop:.1%}，已拒绝上线；管理员可以强制上线",
                                   {"intent_accuracy": f"{gate.intent_accuracy:.4f}",
                                    "serving_accuracy": f"{gate.serving_accuracy:.4f}", "max_drop": f"{gate.max_drop:.4f}"})
                if role != "admin":
                    raise Forbidden("forbidden", "只有管理员可以强制上线准确率下降的模型", {"override": "需要管理员"})
                used_override = True
        if not await self.redis.set(LOCK_KEY, f"{model.id}", nx=True, ex=LOCK_SECONDS):
            raise Conflict("deploy_running", "另一次上线或回滚正在进行，请稍后再试", {})
        try:
            return model, await self._swap(model, serving, staff, action, used_override)
        finally:
            await self.redis.delete(LOCK_KEY)

    async def _swap(self, model: ModelVersion, previous: ModelVersion | None, staff: str, action: str,
                    override: bool) -> ModelDeployment:
        deployment = await ModelDeployment.create(model=model, action=action, staff=staff, override=override)
        switched: list[str] = []
        try:
            for base_url in self.rasa.base_urls:
                await self._load(base_url, Path(model.path))
                switched.append(base_url)
        except Exception as exc:  # noqa: BLE001 — reported to the curator, the old model put back
            deployment.status, deployment.error = "failed", str(exc)[:500]
            log.error("model_deploy_failed", model=model.name, action=action, error=str(exc)[:500])
            await self._restore(previous, switched)
        else:
            deployment.status = "succeeded"
            model_store.write_pointer(self.settings.model_dir, Path(model.path))
            log.info("model_deployed", model=model.name, action=action, staff=staff, override=override,
                     rasa=len(switched))
        deployment.finished_at = model_store.now()
        await deployment.save(update_fields=["status", "error", "finished_at"])
        DEPLOYMENTS.labels(action, deployment.status).inc()
        if deployment.status != "succeeded":
            raise UpstreamFailed("deploy_failed", "上线失败，已恢复原模型；失败原因见上线记录", {"id": str(model.id)})
        return deployment

    async def _load(self, base_url: str, path: Path) -> None:
        shared = len(self.rasa.base_urls) > 1
        if shared:
            await self.redis.set(process_loading_key(base_url), str(path.name), ex=LOAD_TIMEOUT + 60)
            await asyncio.sleep(DRAIN_SECONDS)
        try:
            async with self.rasa.session.put(f"{base_url}/model", json={"model_file": str(path.resolve())},
                                             params=self.rasa.params, timeout=aiohttp.ClientTimeout(total=LOAD_TIMEOUT)) as resp:
                if resp.status != 204:
                    raise RuntimeError(f"{base_url} PUT /model: HTTP {resp.status} {(await resp.text())[:300]}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RuntimeError(f"{base_url} PUT /model: {type(exc).__name__}: {exc}") from exc
        finally:
            if shared:
                await self.redis.delete(process_loading_key(base_url))
        log.info("model_loaded", rasa=base_url, model=path.name)

    async def _restore(self, previous: ModelVersion | None, switched: list[str]) -> None:
        if previous is None or not Path(previous.path).is_file():
            return
        for base_url in switched:
            try:
                await self._load(base_url, Path(previous.path))
            except RuntimeError as exc:
                log.error("model_restore_failed", rasa=base_url, error=str(exc)[:300])


async def recent_deployments(limit: int = 50) -> list[dict[str, Any]]:
    rows = await ModelDeployment.all().order_by("-id").limit(limit).prefetch_related("model")
    return [deployment_view(d, d.model) for d in rows]
