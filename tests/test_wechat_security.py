"""The webhook against an attacker: ancient and replayed signatures, malformed but signed XML, and a
property-based fuzz of signed bodies of random shapes — never processed twice, never a 5xx."""
from __future__ import annotations

import asyncio
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miniprogram_api.models.conversation import TranscriptMessage
from tests.wechat_support import TOKEN, message, new_msg_id, new_openid, sha1_signature, signed_params, wechat_app  # noqa: F401


def signed_at(timestamp: int, openid: str = "") -> dict[str, str]:
    nonce = "n" + str(timestamp)
    return {"signature": sha1_signature(TOKEN, str(timestamp), nonce), "timestamp": str(timestamp), "nonce": nonce,
            "openid": openid}


async def test_a_validly_signed_request_from_2001_or_the_future_is_refused(wechat_app):
    app = await wechat_app()
    openid = new_openid()
    for timestamp in (1_000_000_000, int(time.time()) - 3600, int(time.time()) + 3600):
        status, _ = await app.post(message("text", openid, text="你好"), openid, params=signed_at(timestamp, openid))
        assert status == 403
        resp = await app.client.get("/wechat", params={**signed_at(timestamp), "echostr": "42"})
        assert resp.status == 403
    assert app.rasa.calls == []


async def test_a_timestamp_of_unicode_digits_is_refused_not_a_500(wechat_app):
    app = await wechat_app()
    params = {**signed_params(), "timestamp": "١٧٠٠٠٠٠٠٠٠"}  # Arabic-Indic digits pass str.isdigit()
    params["signature"] = sha1_signature(TOKEN, params["timestamp"], params["nonce"])
    resp = await app.client.get("/wechat", params={**params, "echostr": "42"})
    assert resp.status == 403


async def test_a_captured_signature_replayed_with_another_message_or_openid_is_refused(wechat_app):
    app = await wechat_app()
    victim, attacker = new_openid(), new_openid()
    captured = signed_params(victim)
    status, _ = await app.post(message("text", victim, text="你好", msg_id=1001), victim, params=captured)
    assert status == 200
    # WeChat retrying the same message with the same query is still answered (the retry is deduplicated).
    status, _ = await app.post(message("text", victim, text="你好", msg_id=1001), victim, params=captured)
    assert status == 200
    for forged in (message("text", victim, text="取消我的预约", msg_id=1002),
                   message("text", attacker, text="你好", msg_id=1001)):
        status, body = await app.post(forged, victim, params=captured)
        assert status == 403, body
    texts = [m.text for m in await TranscriptMessage.filter(role="citizen")]
    assert texts == ["你好"]


SIGNED_BUT_MALFORMED = {
    "msgtype_twice": "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
                     "<MsgType>text</MsgType><MsgType>event</MsgType><Content>x</Content><MsgId>1</MsgId></xml>",
    "markup_in_content": "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
                         "<MsgType>text</MsgType><Content><b>粗体</b></Content><MsgId>1</MsgId></xml>",
    "msgid_not_a_number": "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
                          "<MsgType>text</MsgType><Content>x</Content><MsgId>abc</MsgId></xml>",
    "msgid_unicode_digits": "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
                            "<MsgType>text</MsgType><Content>x</Content><MsgId>١٢٣</MsgId></xml>",
    "createtime_words": "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>noon</CreateTime>"
                        "<MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>",
    "openid_nested": "<xml><ToUserName>gh</ToUserName><FromUserName><a>o1</a></FromUserName><CreateTime>1</CreateTime>"
                     "<MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>",
}


async def test_signed_but_malformed_xml_is_a_400_and_stores_nothing(wechat_app):
    app = await wechat_app()
    for name, body in SIGNED_BUT_MALFORMED.items():
        status, _ = await app.post(body, "o1")
        assert status == 400, name
    assert await TranscriptMessage.all().count() == 0
    assert app.rasa.calls == []


FIELDS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "EventKey", "PicUrl",
          "Location_X", "Latitude", "Recognition"]
leaf = st.one_of(st.text(max_size=30), st.integers(-2**70, 2**70).map(str), st.sampled_from(
    ["text", "event", "image", "voice", "location", "link", "subscribe", "unsubscribe", "CLICK", "VIEW", ""]))


@st.composite
def xml_bodies(draw) -> str:
    def element(depth: int) -> str:
        name = draw(st.sampled_from(FIELDS))
        if depth < 2 and draw(st.booleans()) and draw(st.booleans()):
            inner = "".join(element(depth + 1) for _ in range(draw(st.integers(1, 3))))
        else:
            value = draw(leaf)
            inner = f"<![CDATA[{value}]]>" if "]]>" not in value and draw(st.booleans()) else \
                value.replace("&", "&amp;").replace("<", "&lt;")
        return f"<{name}>{inner}</{name}>"

    return "<xml>" + "".join(element(0) for _ in range(draw(st.integers(0, 9)))) + "</xml>"


_FUZZ_APPS: dict = {}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=xml_bodies())
async def test_fuzz_signed_xml_of_random_shapes_never_gives_a_5xx(wechat_app, body):
    # One app for all the examples of a run (the fixture, a factory, lives as long as the test).
    if id(wechat_app) not in _FUZZ_APPS:
        _FUZZ_APPS[id(wechat_app)] = await wechat_app(budget=0.5)
    app = _FUZZ_APPS[id(wechat_app)]
    status, text = await app.post(body, "o-fuzz")
    assert status < 500, (body, text)


async def test_two_hundred_concurrent_messages_from_one_openid_are_each_answered_in_turn(wechat_app):
    """Once 82 of these turns were lost (lock timeouts, a full Redis pool, HTTP 500)."""
    app = await wechat_app(budget=0.5)
    openid = new_openid()
    texts = [f"第{n}条消息" for n in range(200)]
    results = await asyncio.gather(*(app.post(message("text", openid, text=t), openid) for t in texts))
    assert {status for status, _ in results} == {200}
    # Those not answered within the budget got "success" and are answered as their turn comes.
    await eventually_async(lambda: TranscriptMessage.filter(role="citizen").count(), 200, timeout=120)
    await eventually_async(lambda: TranscriptMessage.filter(role="bot").count(), 400, timeout=60)
    rows = await TranscriptMessage.all().order_by("id")
    assert sorted(r.text for r in rows if r.role == "citizen") == sorted(texts)
    # Turn by turn, never interleaved: each message, then the bot's two replies to that message.
    for n in range(0, len(rows), 3):
        asked, answer, more = rows[n], rows[n + 1], rows[n + 2]
        assert (asked.role, answer.role, more.role) == ("citizen", "bot", "bot")
        assert answer.text == f"答复：{asked.text}"


async def eventually_async(count, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (got := await count()) < expected:
        assert time.monotonic() < deadline, f"{got} of {expected}"
        await asyncio.sleep(0.2)
