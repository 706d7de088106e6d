"""Booking, my appointments and cancelling in chat, through the real Rasa server and the actions in
the app, checked against the mini-program API of the same app (the same booking service)."""
from __future__ import annotations

import re
import uuid

import aiohttp
import pytest

from bot.conversation import ConversationService
from bot.rasa_client import RasaClient
from miniprogram_api.redis_client import make_redis
from tests.bot_stack import add_staff


class MiniProgramCitizen:
    """A citizen logged in to the stack's app (development login) who chats in the mini-program."""

    def __init__(self, service: ConversationService, http: aiohttp.ClientSession, app_url: str, token: str, cid: int):
        self.service, self.http, self.app_url = service, http, app_url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.user = str(cid)

    async def reply_to(self, text: str) -> str:
        return "\n".join((await self.service.handle("miniprogram", self.user, text)).replies)

    async def appointments(self) -> list[dict]:
        async with self.http.get(f"{self.app_url}/api/v1/appointments", headers=self.headers) as resp:
            return (await resp.json())["appointments"]


@pytest.fixture
async def mp_citizen(bot_stack, stack_database, redis_url, request):
    redis = make_redis(redis_url)
    async with aiohttp.ClientSession() as http:
        openid = f"chat-{request.node.name[:30]}-{id(request)}"
        async with http.post(f"{bot_stack.app_url}/api/v1/auth/dev-login", json={"openid": re.sub(r"[^\w-]", "", openid)}) as resp:
            body = await resp.json()
        service = ConversationService(RasaClient(bot_stack.rasa_url, http, budget=20, token=bot_stack.rasa_token), redis)
        yield MiniProgramCitizen(service, http, bot_stack.app_url, body["token"], body["citizen"]["id"])
    await redis.aclose()


def options(reply: str) -> list[str]:
    return [line for line in reply.splitlines() if re.match(r"^\d+\. ", line)]


async def test_booking_in_chat_with_confirmation_then_list_and_cancel(mp_citizen):
    ask_hall = await mp_citizen.reply_to("我想预约办护照")
    assert "大厅" in ask_hall and len(options(ask_hall)) >= 2
    ask_day = await mp_citizen.reply_to("1")
    assert "请选择日期" in ask_day and options(ask_day)
    ask_time = await mp_citizen.reply_to("第一个")
    assert "可约时间" in ask_time  # 上午：9:00余10、9:30余10 …
    first_time = re.search(r"[上下]午：(\d{1,2}:\d\d)余", ask_time).group(1)
    confirm = await mp_citizen.reply_to(first_time)
    assert "请确认预约信息" in confirm and "普通护照" in confirm and first_time in confirm
    assert await mp_citizen.appointments() == []  # nothing is booked before the citizen confirms
    done = await mp_citizen.reply_to("确认")
    assert "预约成功" in done and "签到码" in done
    booked = await mp_citizen.appointments()
    assert len(booked) == 1 and booked[0]["status"] == "booked" and booked[0]["item_code"] == "CRJ-001"
    assert booked[0]["check_in_code"] in done

    mine = await mp_citizen.reply_to("查一下我的预约")
    assert booked[0]["time_text"] in mine
    ask = await mp_citizen.reply_to("帮我把预约取消了")
    assert "确认取消" in ask
    cancelled = await mp_citizen.reply_to("确认")
    assert "已取消预约" in cancelled
    assert (await mp_citizen.appointments())[0]["status"] == "cancelled"
    assert "没有待办的预约" in await mp_citizen.reply_to("我的预约")


async def test_saying_stop_leaves_the_booking_and_the_bot_answers_normally(mp_citizen):
    await mp_citizen.reply_to("我要预约")
    stopped = await mp_citizen.reply_to("算了不约了")
    assert "先不预约" in stopped
    answer = await mp_citizen.reply_to("结婚登记要带什么材料")
    assert "婚姻登记" in answer or "结婚" in answer
    assert await mp_citizen.appointments() == []


async def test_accepting_the_booking_offer_after_a_materials_answer_books_that_item(mp_citizen):
    materials = await mp_citizen.reply_to("护照丢了补办要带什么材料")
    assert "需要帮您预约" in materials
    ask_hall = await mp_citizen.reply_to("好的")
    assert "请选择办理大厅" in ask_hall
    ask_day = await mp_citizen.reply_to("市民服务中心")
    assert "请选择日期" in ask_day
    assert "请确认" not in ask_day


async def test_a_wrong_answer_is_asked_again_without_losing_the_booking(mp_citizen):
    await mp_citizen.reply_to("预约办护照")
    again = await mp_citizen.reply_to("火星大厅")
    assert "没看懂" in again and "请选择办理大厅" in again


async def test_an_faq_question_in_the_middle_of_booking_is_answered_and_the_booking_goes_on(mp_citizen):
    await mp_citizen.reply_to("我想预约办护照")
    aside = await mp_citizen.reply_to("你们那边好停车吗")
    assert "停车" in aside and "没看懂" not in aside
    assert "请选择办理大厅" in aside  # the form asks its question again
    ask_day = await mp_citizen.reply_to("1")
    assert "请选择日期" in ask_day


async def test_progress_by_number_and_the_last_four_id_characters(mp_citizen, bot_stack):
    staff = add_staff(bot_stack, f"后台{uuid.uuid4().hex[:6]}", "backoffice")
    async with mp_citizen.http.post(f"{bot_stack.app_url}/admin/applications", headers=staff, json={
            "item_code": "CRJ-001", "applicant_name": "李四", "applicant_id_number": "11010119900307109X",
            "channel": "hall"}) as resp:
        number = (await resp.json())["number"]
    async with mp_citizen.http.post(f"{bot_stack.app_url}/admin/applications/{number}/transitions", headers=staff,
                                    json={"to": "补正", "materials": ["近期免冠照片"], "note": "照片不合格"}) as resp:
        assert resp.status == 200
    ask = await mp_citizen.reply_to(f"帮我查下{number}的进度")
    assert "后4位" in ask
    wrong = await mp_citizen.reply_to("1234")
    assert "没有查到" in wrong
    assert "受理编号" in await mp_citizen.reply_to("查进度")
    await mp_citizen.reply_to(number)
    answer = await mp_citizen.reply_to("109x")
    assert number in answer and "补正" in answer and "近期免冠照片" in answer
