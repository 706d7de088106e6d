"""Curators' retrain: the FAQ as it is in the database, with the rest of the Rasa project, trained in the
background in Rasa's environment (a `rasa train` subprocess, never the serving Rasa), then evaluated on
the held-out test set next to the model in service.

One run at a time: the run row holds a unique lock value while it goes. The runner beats a heartbeat;
a run whose heartbeat stopped (the app died mid-run) is marked failed when the next run is asked for."""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
import yaml
from tortoise.exceptions import IntegrityError

from bot import evaluation, faq, model_store
from bot.rasa_client import RasaClient
from miniprogram_api.config import Settings
from miniprogram_api.errors import Conflict, NotFound
from miniprogram_api.instruments import TRAINING_RUNS
from miniprogram_api.models.faq import FaqIntent
from miniprogram_api.models.training import ModelVersion, TrainingRun

log = structlog.get_logger(__name__)
ROOT = Path(__file__).resolve().parent.parent
INTENTS = ROOT / "intents"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
LOCK = "training"
STALE = timedelta(minutes=2)
HEARTBEAT_SECONDS = 5
STAGES = {"export": (0.0, 0.02), "generate": (0.02, 0.08), "train": (0.08, 0.85), "evaluate": (0.85, 1.0)}
_FINISHED = re.compile(r"(Finished training|Restored) component '(\w+)'")
_EPOCHS = re.compile(r"Epochs:\s+(\d+)%")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # Rasa colours its messages
LOG_TAIL_LINES = 200


def run_view(run: TrainingRun) -> dict[str, Any]:
    return {"id": run.id, "status": run.status, "stage": run.stage, "progress": round(run.progress, 3),
            "message": run.message, "started_by": run.started_by,
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None, "model_id": run.model_id}


def log_tail(run: TrainingRun, lines: int = LOG_TAIL_LINES) -> str:
    """The end of the run's log; of a run of progress-bar lines only the last is kept."""
    path = Path(run.log_path) if run.log_path else None
    if not path or not path.is_file():
        return ""
    kept: list[str] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if kept and _EPOCHS.search(line) and _EPOCHS.search(kept[-1]):
            kept[-1] = line
        else:
            kept.append(line)
    return "\n".join(kept[-lines:])


def trainable_components(config: Path) -> int:
    doc = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    return max(1, len(doc.get("pipeline") or []) + len(doc.get("policies") or []))


def _copy_project(target: Path, config: Path) -> None:
    """The Rasa project without its generated parts and models; the FAQ is written from the database."""
    target.mkdir(parents=True)
    shutil.copyfile(config, target / "config.yml")
    shutil.copytree(INTENTS / "domain", target / "domain")
    shutil.copytree(INTENTS / "data", target / "data", ignore=shutil.ignore_patterns("generated"))
    shutil.copytree(INTENTS / "real", target / "real")
    (target / "templates").mkdir()
    shutil.copyfile(INTENTS / "templates" / "intents.yml", target / "templates" / "intents.yml")


class TrainingService:
    def __init__(self, settings: Settings, rasa: RasaClient):
        self.settings = settings
        self.rasa = rasa
        self.task: asyncio.Task | None = None

    async def start(self, staff: str) -> TrainingRun:
        await self._abandon_stale()
        try:
            run = await TrainingRun.create(lock=LOCK, started_by=staff, heartbeat_at=model_store.now(),
                                           message="正在导出 FAQ")
        except IntegrityError:
            running = await TrainingRun.get_or_none(lock=LOCK)
            raise Conflict("training_running", "已有一次训练正在进行，请等它结束后再试",
                           {"run_id": str(running.id) if running else ""}) from None
        run.log_path = str(self.settings.model_dir / "runs" / str(run.id) / "train.log")
        await run.save(update_fields=["log_path"])
        log.info("training_started", run_id=run.id, staff=staff)
        self.task = asyncio.create_task(self._run(run))
        return run

    async def _abandon_stale(self) -> None:
        cutoff = model_store.now() - STALE
        stale = await TrainingRun.filter(lock=LOCK, heartbeat_at__lt=cutoff).update(
            lock=None, status="failed", message="训练中断（服务重启或进程退出），可以重新开始", finished_at=model_store.now())
        if stale:
            log.warning("training_abandoned", runs=stale)

    async def close(self) -> None:
        if self.task and not self.task.done():
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass

    async def _run(self, run: TrainingRun) -> None:
        run_dir = Path(run.log_path).parent
        run_dir.mkdir(parents=True, exist_ok=True)
        logfile = open(run.log_path, "a", encoding="utf-8")  # noqa: SIM115 (closed in finally)

        def note(line: str) -> None:
            logfile.write(line.rstrip() + "\n")
            logfile.flush()

        try:
            model, serving = await self._train(run, run_dir, note)
            run.model_id = model.id
            await self._advance(run, "done", 1.0, "训练和评估完成，可以上线")
            run.status = "succeeded"
            await model_store.prune(self.settings.model_dir, self.settings.curation_keep_models,
                                    serving.id if serving else None)
            log.info("training_succeeded", run_id=run.id, model=model.name, accuracy=model.intent_accuracy)
        except asyncio.CancelledError:
            run.status, run.message = "failed", "训练被中止"
            raise
        except Exception as exc:  # noqa: BLE001 — any failure ends the run with its reason, visible to curators
            note(f"ERROR: {exc}")
            run.status, run.message = "failed", f"失败：{str(exc)[:400]}"
            log.error("training_failed", run_id=run.id, stage=run.stage, error=str(exc)[:500])
        finally:
            logfile.close()
            run.lock, run.finished_at = None, model_store.now()
            TRAINING_RUNS.labels(run.status).inc()
            await run.save(update_fields=["lock", "status", "message", "finished_at", "model_id", "stage", "progress"])

    async def _advance(self, run: TrainingRun, stage: str, progress: float, message: str) -> None:
        run.stage, run.progress, run.message, run.heartbeat_at = stage, progress, message, model_store.now()
        await run.save(update_fields=["stage", "progress", "message", "heartbeat_at"])

    async def _train(self, run: TrainingRun, run_dir: Path, note) -> tuple[ModelVersion, ModelVersion | None]:
        """The new model, evaluated, and the model in service it was compared with."""
        settings = self.settings
        project = run_dir / "intents"
        if project.exists():
            shutil.rmtree(project)
        _copy_project(project, settings.train_config)
        faqs = await FaqIntent.all()
        (project / "templates" / "faq.yml").write_text(faq.render(faqs), encoding="utf-8")
        note(f"exported {sum(f.enabled for f in faqs)} enabled FAQ from the database")

        await self._advance(run, "generate", STAGES["generate"][0], "正在生成训练数据")
        await self._subprocess(run, "bot.nlu_generate", [sys.executable, "-m", "bot.nlu_generate",
                                     "--intents", str(project)], ROOT, note)

        await self._advance(run, "train", STAGES["train"][0], "正在训练模型")
        name = f"govhall-{model_store.now():%Y%m%d-%H%M%S}-r{run.id}"
        settings.model_dir.mkdir(parents=True, exist_ok=True)
        total = trainable_components(project / "config.yml")
        done = 0
        low, high = STAGES["train"]

        def progress(line: str) -> float | None:
            nonlocal done
            if _FINISHED.search(line):
                done += 1
                return low + (high - low) * min(done / total, 1.0)
            epochs = _EPOCHS.search(line)
            if epochs:
                return low + (high - low) * min((done + int(epochs.group(1)) / 100) / total, 1.0)
            return None

        await self._subprocess(run, "rasa train", ["nice", "-n", "10", str(RASA), "train", "--config", "config.yml",
                                     "--domain", "generated/domain.yml", "--data", "data",
                                     "--out", str(settings.model_dir), "--fixed-model-name", name],
                               project, note, progress)
        path = settings.model_dir / f"{name}.tar.gz"
        if not path.is_file():
            raise RuntimeError(f"rasa train finished but {path.name} is missing")
        model = await model_store.register(path, "trained")

        await self._advance(run, "evaluate", STAGES["evaluate"][0], "正在用留出测试集评估新模型和在用模型")
        serving = await evaluate_models(self.rasa, settings, [model], note)
        return await ModelVersion.get(id=model.id), serving

    async def _subprocess(self, run: TrainingRun, label: str, args: list[str], cwd: Path, note, progress=None) -> None:
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}
        note("$ " + " ".join(args))
        proc = await asyncio.create_subprocess_exec(*args, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.STDOUT)
        assert proc.stdout is not None
        beat = model_store.now()
        buffer = b""
        try:
            while chunk := await proc.stdout.read(4096):
                buffer += chunk
                *lines, buffer = re.split(rb"[\r\n]", buffer)
                latest = None
                for raw in lines:
                    line = _ANSI.sub("", raw.decode("utf-8", "replace")).rstrip()
                    if not line:
                        continue
                    note(line)
                    latest = (progress(line) if progress else None) or latest
                if latest is not None and latest > run.progress or model_store.now() - beat > timedelta(seconds=HEARTBEAT_SECONDS):
                    beat = model_store.now()
                    run.progress = max(run.progress, latest or 0.0)
                    run.heartbeat_at = beat
                    await run.save(update_fields=["progress", "heartbeat_at"])
            code = await proc.wait()
        except asyncio.CancelledError:
            proc.kill()
            await proc.wait()
            raise
        if code != 0:
            raise RuntimeError(f"{label} exited with {code}; see the log")


async def evaluate_models(rasa: RasaClient, settings: Settings, models: list[ModelVersion],
                          note=None) -> ModelVersion | None:
    """Scores `models` on the test set, and the serving model too when it has no score for this test set
    yet; returns the serving model (None when Rasa does not answer)."""
    digest = evaluation.test_set_digest(settings.eval_test_set)
    serving = await model_store.serving(rasa, settings.model_dir)
    todo = list(models)
    if serving and serving.id not in {m.id for m in todo} and (serving.evaluation or {}).get("test_set") != digest \
            and Path(serving.path).is_file():
        todo.append(serving)
    results = await evaluation.evaluate([Path(m.path) for m in todo], settings.eval_test_set, note)
    for model, result in zip(todo, results, strict=True):
        model.intent_accuracy = result["accuracy"]
        model.evaluation = {"test_set": digest, **{k: result[k] for k in ("n", "correct", "per_intent")}}
        model.evaluated_at = model_store.now()
        model.rasa_model_id = model.rasa_model_id or result["model_id"]
        await model.save(update_fields=["intent_accuracy", "evaluation", "evaluated_at", "rasa_model_id"])
        if note:
            note(f"{model.name}: intent accuracy {result['accuracy']:.1%} ({result['correct']}/{result['n']})")


async def recent_runs(limit: int = 20) -> list[TrainingRun]:
    return await TrainingRun.all().order_by("-id").limit(limit)


async def run_or_raise(run_id: int) -> TrainingRun:
    run = await TrainingRun.get_or_none(id=run_id)
    if run is None:
        raise NotFound("not_found", "没有这次训练", {"id": str(run_id)})
    return run
