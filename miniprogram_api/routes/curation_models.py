"""Curators' API for the model's life cycle: retrain in the background, see the run's progress and log,
compare a new model with the one in service, deploy it, roll back, and the history of both."""
from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from bot import evaluation, model_store, training
from bot.deployment import deployment_view, recent_deployments
from bot.training import log_tail, run_view
from miniprogram_api.auth import CURATOR, require_staff
from miniprogram_api.http import json_response, parse_body
from miniprogram_api.keys import DEPLOYMENT, RASA, SETTINGS, STAFF, TRAINING
from miniprogram_api.models.training import ModelVersion
from miniprogram_api.openapi import POSITIVE, doc

routes = web.RouteTableDef()
ID = r"{id:\d{1,9}}"


class DeployBody(BaseModel, extra="forbid"):
    override: bool = False  # an admin may deploy a model whose accuracy dropped beyond the margin


class RollbackBody(BaseModel, extra="forbid"):
    pass


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])


async def _serving(request: web.Request) -> ModelVersion | None:
    return await model_store.serving(request.app[RASA], request.app[SETTINGS].model_dir)


@routes.post("/admin/curation/train")
@doc("用数据库里的 FAQ 重新训练（后台进行；同一时间只能有一次）", "模型", response="Object", status=(202,), auth="staff")
@require_staff(*CURATOR)
async def start_training(request: web.Request) -> web.Response:
    run = await request.app[TRAINING].start(request[STAFF].name)
    return json_response({"run": run_view(run)}, status=202)


@routes.get("/admin/curation/runs")
@doc("最近的训练", "模型", response="Object", auth="staff")
@require_staff(*CURATOR)
async def list_runs(request: web.Request) -> web.Response:
    runs = await training.recent_runs()
    return json_response({"runs": [run_view(r) for r in runs]})


@routes.get(f"/admin/curation/runs/{ID}")
@doc("一次训练的进度和日志", "模型", response="Object", auth="staff", path={"id": POSITIVE})
@require_staff(*CURATOR)
async def get_run(request: web.Request) -> web.Response:
    run = await training.run_or_raise(_id(request))
    return json_response({"run": run_view(run), "log": log_tail(run)})


@routes.get("/admin/curation/models")
@doc("模型历史（准确率、是否在服务中）", "模型", response="Object", auth="staff")
@require_staff(*CURATOR)
async def list_models(request: web.Request) -> web.Response:
    serving = await _serving(request)
    models = await model_store.all_versions()
    serving_id = serving.id if serving else None
    listed = await model_store.views(models, serving_id)
    return json_response({"serving": next((v for v in listed if v["serving"]), None), "models": listed})


@routes.get(f"/admin/curation/models/{ID}/evaluation")
@doc("模型在留出测试集上的准确率，逐意图对比在用模型", "模型", response="Object", auth="staff", path={"id": POSITIVE})
@require_staff(*CURATOR)
async def model_evaluation(request: web.Request) -> web.Response:
    model = await model_store.version_or_raise(_id(request))
    serving = await _serving(request)
    against = serving if serving and serving.id != model.id else None
    gate = request.app[DEPLOYMENT].gate(model, against)
    serving_id = serving.id if serving else None
    return json_response({
        "model": await model_store.view(model, serving_id),
        "against": await model_store.view(against, serving_id) if against else None,
        "intent_accuracy": gate.intent_accuracy, "serving_accuracy": gate.serving_accuracy,
        "drop": gate.drop, "max_drop": gate.max_drop,
        "deployable": model.intent_accuracy is not None and serving_id != model.id and gate.passes,
        "per_intent": evaluation.compare(model.evaluation, against.evaluation if against else None)
        if model.evaluation else [],
    })


async def _put_into_service(request: web.Request, action: str, override: bool = False) -> web.Response:
    staff = request[STAFF]
    model, deployment = await request.app[DEPLOYMENT].put_into_service(_id(request), staff.name, staff.role, action,
                                                                       override)
    return json_response({"model": await model_store.view(model, model.id),
                          "deployment": deployment_view(deployment, model)})


@routes.post(f"/admin/curation/models/{ID}/deploy")
@doc("上线一个模型（准确率下降超过允许幅度时拒绝，管理员可强制）", "模型", body=DeployBody, response="Object",
     auth="staff", path={"id": POSITIVE})
@require_staff(*CURATOR)
async def deploy(request: web.Request) -> web.Response:
    body = await parse_body(request, DeployBody)
    return await _put_into_service(request, "deploy", body.override)


@routes.post(f"/admin/curation/models/{ID}/rollback")
@doc("回滚到一个上线过的模型（一步完成）", "模型", body=RollbackBody, response="Object", auth="staff",
     path={"id": POSITIVE})
@require_staff(*CURATOR)
async def rollback(request: web.Request) -> web.Response:
    await parse_body(request, RollbackBody)
    return await _put_into_service(request, "rollback")


@routes.get("/admin/curation/deployments")
@doc("上线和回滚的记录", "模型", response="Object", auth="staff")
@require_staff(*CURATOR)
async def deployments(request: web.Request) -> web.Response:
    return json_response({"deployments": await recent_deployments()})
