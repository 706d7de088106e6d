"""Only Rasa calls the actions: the shared secret (ACTIONS_TOKEN) and a sender the app knows. A forged
call naming another citizen's sender id once listed, booked and cancelled their appointments."""
from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.rasa_endpoints import endpoints
from miniprogram_api.app import create_app
from miniprogram_api.clock import Clock
from miniprogram_api.config import ConfigError, Settings
from miniprogram_api.models.conversation import Conversation
from tests.conftest import API_NOW

TOKEN = "actions-secret-0123456789"


def call(sender: str, action: str = "action_my_appointments") -> dict:
    return {"next_action": action, "sender_id": sender, "version": "3.6.21",
            "tracker": {"sender_id": sender, "slots": {}, "latest_message": {"text": "我的预约", "intent": {}},
                        "events": [], "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": "action_listen"},
            "domain": {}}


@pytest.fixture
async def actions(seeded_db, redis_url):
    settings = Settings(database_url=seeded_db, redis_url=redis_url, rasa_url="http://127.0.0.1:9", actions_token=TOKEN)
    app = create_app(settings, manage_db=False, clock=Clock(API_NOW), housekeeping_loop=False)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_an_action_call_without_the_shared_secret_is_refused(actions):
    await Conversation.create(channel="miniprogram", user_id="1")
    for headers in ({}, {"Authorization": "Bearer wrong-secret-0123456789"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}):
        resp = await actions.post("/rasa/actions", json=call("miniprogram:1"), headers=headers)
        assert resp.status == 401, headers
        assert "error" in await resp.json()


async def test_an_action_call_for_a_sender_the_app_never_saw_is_refused(actions):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for sender in ("miniprogram:999999", "wechat:o-forged", "try:not-issued", "no-channel", 42):
        resp = await actions.post("/rasa/actions", json=call(sender), headers=auth)  # type: ignore[arg-type]
        assert resp.status == 403, sender


async def test_rasas_call_with_the_secret_for_a_known_conversation_is_answered(actions):
    await Conversation.create(channel="miniprogram", user_id="7")
    resp = await actions.post("/rasa/actions", json=call("miniprogram:7"),
                              headers={"Authorization": f"Bearer {TOKEN}"})
    body = await resp.json()
    assert resp.status == 200, body
    assert body["responses"][0]["text"]


@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, "[1, 2]", "not json", '"text"'])
async def test_a_malformed_action_call_is_a_clear_4xx(actions, body):
    resp = await actions.post("/rasa/actions", data=body, headers={"Authorization": f"Bearer {TOKEN}",
                                                                     "Content-Type": "application/json"})
    assert resp.status == 400
    assert "error" in await resp.json()


async def test_without_a_configured_secret_every_action_call_is_refused(api):
    await Conversation.create(channel="miniprogram", user_id="1")
    resp = await api.post("/rasa/actions", json=call("miniprogram:1"), headers={"Authorization": "Bearer "})
    assert resp.status == 401


def test_rasas_endpoints_file_sends_the_secret_with_every_action_call():
    config = endpoints(Settings(actions_token=TOKEN))
    assert config["action_endpoint"]["headers"] == {"Authorization": f"Bearer {TOKEN}"}
    assert "headers" not in endpoints(Settings())["action_endpoint"]


@pytest.mark.parametrize("name", ["ACTIONS_TOKEN", "RASA_TOKEN"])
@pytest.mark.parametrize("value", ["short", "has space in it 0123456789", "密钥密钥密钥密钥密钥密钥密钥密钥"])
def test_a_guessable_or_unsendable_secret_is_a_configuration_error(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})
