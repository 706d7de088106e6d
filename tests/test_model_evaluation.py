"""The pieces of the model life cycle that need no Rasa: scoring and comparing evaluations, the training
log and its progress, Rasa's endpoints, and the Rasa client waiting through a model load."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from bot import evaluation
from bot.rasa_client import MODEL_LOADING_KEY, RasaClient, RasaUnavailable
from bot.rasa_endpoints import endpoints
from bot.training import log_tail, trainable_components
from miniprogram_api.config import ConfigError, Settings
from miniprogram_api.redis_client import make_redis

CASES = [{"text": "a", "intent": "ask_materials"}, {"text": "b", "intent": "ask_materials"},
         {"text": "c", "intent": "faq/parking"}, {"text": "d", "intent": "greet"}]


def test_score_counts_accuracy_overall_and_per_intent():
    result = evaluation.score(CASES, ["ask_materials", "ask_fee", "faq/parking", "greet"])
    assert result["n"] == 4 and result["correct"] == 3 and result["accuracy"] == 0.75
    assert result["per_intent"] == {"ask_materials": [2, 1], "faq/parking": [1, 1], "greet": [1, 1]}


def test_score_refuses_predictions_that_do_not_match_the_test_set():
    with pytest.raises(ValueError):
        evaluation.score(CASES, ["greet"])


def test_compare_puts_the_biggest_changes_first_and_keeps_intents_only_one_side_has():
    new = evaluation.score(CASES, ["ask_materials", "ask_materials", "greet", "greet"])
    old = {"per_intent": {"ask_materials": [2, 1], "faq/parking": [1, 1], "greet": [1, 1], "goodbye": [1, 1]}}
    rows = evaluation.compare(new, old)
    assert [(r["intent"], r["change"]) for r in rows[:2]] == [("faq/parking", -1.0), ("ask_materials", 0.5)]
    gone = next(r for r in rows if r["intent"] == "goodbye")
    assert gone["n"] == 0 and gone["accuracy"] is None and gone["change"] is None
    alone = evaluation.compare(new, None)
    assert all(r["serving_accuracy"] is None for r in alone)


def test_test_set_digest_changes_with_the_file(tmp_path):
    f = tmp_path / "t.yml"
    f.write_text("tests: []\n", encoding="utf-8")
    first = evaluation.test_set_digest(f)
    f.write_text("tests: [{text: a, intent: greet}]\n", encoding="utf-8")
    assert evaluation.test_set_digest(f) != first


def test_log_tail_keeps_only_the_last_of_a_run_of_progress_bars(tmp_path):
    from miniprogram_api.models.training import TrainingRun

    path = tmp_path / "train.log"
    path.write_text("Starting to train component 'DIETClassifier'.\n"
                    + "".join(f"Epochs:  {p}%|###| {p}/100 [00:01<00:01]\n" for p in range(0, 101, 10))
                    + "Finished training component 'DIETClassifier'.\n", encoding="utf-8")
    run = TrainingRun(log_path=str(path))
    assert log_tail(run).splitlines() == ["Starting to train component 'DIETClassifier'.",
                                          "Epochs:  100%|###| 100/100 [00:01<00:01]",
                                          "Finished training component 'DIETClassifier'."]
    assert log_tail(TrainingRun(log_path=str(tmp_path / "missing.log"))) == ""


def test_trainable_components_counts_pipeline_and_policies():
    from bot.training import INTENTS

    assert trainable_components(INTENTS / "config.yml") == 10


def test_rasa_keeps_trackers_in_redis_and_locks_there_only_with_several_workers():
    settings = Settings(redis_url="redis://127.0.0.1:6379/3")
    one = endpoints(settings)
    assert one["tracker_store"]["type"] == "bot.rasa_tracker_store.WholeTrackerRedisStore"
    assert one["tracker_store"]["db"] == 3 and one["action_endpoint"]["enable_selective_domain"] is True
    assert "lock_store" not in one
    assert endpoints(settings, sanic_workers=2)["lock_store"]["type"] == "redis"
    # Without Redis, Rasa's in-memory store keeping each conversation's current part (issue 16).
    assert endpoints(Settings())["tracker_store"] == {"type": "bot.rasa_tracker_store.CurrentSessionInMemoryStore"}


def test_curation_settings_from_the_environment(tmp_path):
    settings = Settings.from_env({"CURATION_MAX_DROP": "0.05", "CURATION_KEEP_MODELS": "3", "MODEL_DIR": str(tmp_path)})
    assert settings.curation_max_drop == 0.05 and settings.curation_keep_models == 3 and settings.model_dir == tmp_path
    with pytest.raises(ConfigError, match="CURATION_MAX_DROP"):
        Settings.from_env({"CURATION_MAX_DROP": "5%"})
    with pytest.raises(ConfigError, match="CURATION_KEEP_MODELS"):
        Settings.from_env({"CURATION_KEEP_MODELS": "1"})


@pytest.fixture
async def slow_rasa():
    """Stands in for Rasa busy loading a model: it answers the REST channel after 1.5 s."""
    received = []

    async def webhook(request: web.Request) -> web.Response:
        received.append(await request.json())
        await asyncio.sleep(1.5)
        return web.json_response([{"recipient_id": "x", "text": "您好"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", received
    finally:
        await runner.cleanup()


async def test_a_message_waits_for_a_model_load_instead_of_failing_or_being_sent_twice(slow_rasa):
    url, received = slow_rasa
    redis = make_redis(None)
    async with aiohttp.ClientSession() as http:
        client = RasaClient(url, http, budget=0.5, redis=redis)
        with pytest.raises(RasaUnavailable):
            await client.send("citizen-1", "你好")
        await redis.set(MODEL_LOADING_KEY, "1")
        received.clear()
        assert await client.send("citizen-1", "你好") == [{"recipient_id": "x", "text": "您好"}]
        assert len(received) == 1


async def test_pruning_keeps_the_newest_trained_models_and_the_serving_one(database_url, tmp_path):
    from bot import model_store
    from miniprogram_api.models.training import ModelVersion

    models = []
    for n in range(5):
        path = tmp_path / f"m{n}.tar.gz"
        path.write_bytes(b"model")
        models.append(await ModelVersion.create(name=path.name, path=str(path), source="trained",
                                                rasa_model_id=f"id{n}"))
    baseline = tmp_path / "baseline.tar.gz"
    baseline.write_bytes(b"model")
    await ModelVersion.create(name=baseline.name, path=str(baseline), source="baseline", rasa_model_id="base")
    removed = await model_store.prune(tmp_path, keep=2, serving_id=models[0].id)
    assert sorted(removed) == ["m1.tar.gz", "m2.tar.gz"]
    assert [(tmp_path / f"m{n}.tar.gz").exists() for n in range(5)] == [True, False, False, True, True]
    assert baseline.exists()
    gone = await ModelVersion.get(id=models[1].id)
    assert not gone.files_present
    assert not (await model_store.view(gone, None))["files_present"]


async def test_a_run_whose_heartbeat_stopped_no_longer_blocks_a_new_one(database_url, tmp_path):
    from datetime import timedelta

    from bot import model_store
    from bot.training import LOCK, TrainingService
    from miniprogram_api.models.training import TrainingRun

    stale = await TrainingRun.create(lock=LOCK, heartbeat_at=model_store.now() - timedelta(minutes=10))
    fresh_settings = Settings(model_dir=tmp_path)
    service = TrainingService(fresh_settings, rasa=None)  # type: ignore[arg-type]
    await service._abandon_stale()
    stale = await TrainingRun.get(id=stale.id)
    assert stale.lock is None and stale.status == "failed" and "中断" in stale.message
    running = await TrainingRun.create(lock=LOCK, heartbeat_at=model_store.now())
    await service._abandon_stale()
    assert (await TrainingRun.get(id=running.id)).lock == LOCK
