"""The bot end to end: the conversation service → a real Rasa server on the trained model → the actions
hosted by the app → the knowledge base. Expected answers are read from the knowledge-base files."""
from __future__ import annotations

import uuid

import aiohttp
import pytest

from bot import replies
from bot.conversation import ConversationService
from bot.rasa_client import RasaClient
from knowledge.bundles import situation_of
from knowledge.loader import load_catalogue
from miniprogram_api.models.conversation import TranscriptMessage
from miniprogram_api.redis_client import make_redis
from tests.conftest import KB_PATH

CATALOGUE = load_catalogue(KB_PATH)


def item(code: str) -> dict:
    return CATALOGUE.items[code][0].model_dump(mode="json")


class Citizen:
    def __init__(self, service: ConversationService):
        self.service = service
        self.user = f"test-{uuid.uuid4().hex[:10]}"

    async def says(self, text: str):
        return await self.service.handle("terminal", self.user, text)

    async def reply_to(self, text: str) -> str:
        return "\n".join((await self.says(text)).replies)


@pytest.fixture
async def citizen(bot_stack, stack_database, redis_url):
    redis = make_redis(redis_url)
    async with aiohttp.ClientSession() as http:
        yield Citizen(ConversationService(RasaClient(bot_stack.rasa_url, http, budget=20, token=bot_stack.rasa_token),
                                          redis))
    await redis.aclose()


def assert_materials(reply: str, code: str, situation: str | None) -> None:
    data = item(code)
    sit = situation_of(data, situation)
    assert data["name"] in reply
    for material in sit["materials"]:
        assert material["name"] in reply, (material["name"], reply)
    assert "需要帮您预约" in reply


async def test_materials_in_one_turn_with_the_situation_in_the_sentence(citizen):
    reply = await citizen.reply_to("护照丢了补办要带什么材料")
    assert_materials(reply, "CRJ-001", "loss")


async def test_situation_is_asked_when_the_sentence_does_not_say(citizen):
    reply = await citizen.reply_to("办身份证需要什么材料")
    for s in item("GA-001")["situations"]:
        assert s["name"] in reply
    keys = [s["key"] for s in item("GA-001")["situations"]]
    answer = await citizen.reply_to(f"第{'一二三四'[keys.index('loss')]}个")
    assert_materials(answer, "GA-001", "loss")


async def test_several_candidate_items_are_offered_as_numbered_choices(citizen):
    reply = await citizen.reply_to("公积金要带什么材料")
    assert "1." in reply and "2." in reply
    assert item("GJJ-001")["name"] in reply and item("GJJ-002")["name"] in reply
    lines = [line for line in reply.splitlines() if line[:2] in ("1.", "2.", "3.", "4.")]
    n = next(i for i, line in enumerate(lines, 1) if item("GJJ-002")["name"] in line)
    answer = await citizen.reply_to(str(n))
    assert item("GJJ-002")["name"] in answer


async def test_follow_ups_keep_the_item_until_another_is_named(citizen):
    await citizen.reply_to("补办护照要带啥")
    data = item("CRJ-001")
    time_reply = await citizen.reply_to("要多久")
    assert data["name"] in time_reply and str(data["time_limit"]["promised_days"]) in time_reply
    fee_reply = await citizen.reply_to("那要多少钱")
    assert data["name"] in fee_reply and (data["fee"].get("amount") or "不收费") in fee_reply
    where = await citizen.reply_to("在哪里办")
    assert data["name"] in where and "云溪市市民服务中心" in where
    other = await citizen.reply_to("结婚登记呢")
    assert item("MZ-001")["name"] in other


async def test_faq_answers_with_the_halls_data(citizen):
    reply = await citizen.reply_to("你们大厅几点上班")
    assert "云溪市市民服务中心" in reply and "9:00" in reply
    parking = await citizen.reply_to("去大厅能停车吗")
    hall = CATALOGUE.halls["SMZX"][0]
    assert hall.parking[:10] in parking


async def test_out_of_scope_says_what_the_bot_can_do(citizen):
    reply = await citizen.reply_to("今天天气怎么样啊")
    assert "政务服务助手" in reply and "材料" in reply


async def test_two_misunderstandings_in_a_row_offer_a_human(citizen):
    # "/nlu_fallback" makes Rasa take the fallback intent itself, whatever the model would guess.
    first = await citizen.says("/nlu_fallback")
    assert first.replies == [replies.NOT_UNDERSTOOD] and not first.events
    second = await citizen.says("/nlu_fallback")
    assert second.replies == [replies.OFFER_HUMAN]
    assert second.events == [{"event": "human_offered", "reason": "not_understood"}]
    accepted = await citizen.says("好的")
    assert accepted.events == [{"event": "handoff_requested", "reason": "offer_accepted"}]


async def test_asking_for_a_person_raises_the_handoff_event(citizen):
    turn = await citizen.says("我要转人工")
    assert {"event": "handoff_requested", "reason": "asked"} in turn.events


async def test_an_answer_ends_the_turn_itself_and_a_form_still_waits_for_the_citizen(citizen):
    await citizen.says("护照要多久")
    assert "请选择办理大厅" in await citizen.reply_to("我要预约")
    events = await citizen.service.rasa.tracker_events(f"terminal:{citizen.user}")
    actions = [(e["name"], e.get("policy")) for e in events if e["event"] == "action"][2:]
    assert actions == [("action_answer_item_question", "RulePolicy"),
                       ("action_listen", "followup_action"),  # no policy run after the answer
                       ("action_start_booking", "RulePolicy"), ("booking_form", "followup_action"),
                       ("action_listen", "RulePolicy")]  # with a form active the policies decide


async def test_every_turn_is_in_the_transcript(citizen):
    await citizen.says("居住证要什么材料")
    rows = await TranscriptMessage.filter(conversation__user_id=citizen.user).order_by("id")
    assert rows[0].role == "citizen" and rows[0].text == "居住证要什么材料"
    assert [r.role for r in rows[1:]] and all(r.role == "bot" for r in rows[1:])


async def test_nlu_try_shows_what_the_bot_understood(bot_stack):
    headers = {"Authorization": f"Bearer {bot_stack.staff_token}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{bot_stack.app_url}/admin/nlu/try", json={"text": "办护照需要什么材料"}, headers=headers) as resp:
            assert resp.status == 200
            body = await resp.json()
        assert body["intent"]["name"] == "ask_materials" and 0 < body["intent"]["confidence"] <= 1
        assert body["items"][0]["code"] == "CRJ-001" and body["items"][0]["aliases"]
        assert body["replies"] and all("text" in r for r in body["replies"])
        assert any(e["entity"] == "item" for e in body["entities"])
        async with http.post(f"{bot_stack.app_url}/admin/nlu/try", json={"text": ""}, headers=headers) as resp:
            assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid_text"
        async with http.post(f"{bot_stack.app_url}/admin/nlu/try", json={"text": "护照"}) as resp:
            assert resp.status == 401


async def test_a_repeated_message_id_is_answered_once(citizen):
    first = await citizen.service.handle("terminal", citizen.user, "护照多少钱", message_id="m-1")
    again = await citizen.service.handle("terminal", citizen.user, "护照多少钱", message_id="m-1")
    assert again.duplicate and again.replies == first.replies
    rows = await TranscriptMessage.filter(conversation__user_id=citizen.user, role="citizen")
    assert len(rows) == 1


async def test_each_message_is_recorded_with_what_became_of_it_for_the_statistics(citizen):
    answered = await citizen.says("护照丢了补办要带什么材料")
    outside = await citizen.says("今天天气怎么样啊")
    missed = await citizen.says("/nlu_fallback")
    assert not any(e["event"] == "understood" for t in (answered, outside, missed) for e in t.events)
    rows = await TranscriptMessage.filter(conversation__user_id=citizen.user, role="citizen").order_by("id")
    assert [(r.outcome, r.item_code) for r in rows] == [("answered", "CRJ-001"), ("out_of_scope", None),
                                                        ("not_understood", None)]
