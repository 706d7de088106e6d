"""`/wechat`: URL verification, signatures, plaintext, compatible and safe mode, what each kind of
message gets, and that a request failing verification touches nothing."""
from __future__ import annotations

import re

import pytest
from structlog.testing import capture_logs

from bot.wechat import channel as wechat_channel
from bot.wechat.menu import CLICK_TRIGGERS, GUIDE, HUMAN, MY_APPOINTMENTS, PROGRESS
from miniprogram_api.keys import REDIS
from miniprogram_api.models.conversation import Conversation, TranscriptMessage
from miniprogram_api.models.wechat import WeChatFollower
from tests.wechat_support import (
    ACCOUNT,
    AES_KEY,
    TOKEN,
    decrypt_reply,
    encrypted,
    message,
    new_msg_id,
    new_openid,
    reply_fields,
    sha1_signature,
    signed_params,
    wechat_app,  # noqa: F401  (a fixture the tests take by name)
)


def encrypt_element(body: str) -> str:
    return re.search(r"<Encrypt>.*</Encrypt>", body).group(0)


def text_reply(body: str, openid: str) -> str:
    fields = reply_fields(body)
    # A passive reply goes back from the account to the user (wechatpy's create_reply swaps them).
    assert (fields["ToUserName"], fields["FromUserName"], fields["MsgType"]) == (openid, ACCOUNT, "text")
    return fields["Content"]


async def nothing_stored(app) -> None:
    assert await Conversation.all().count() == 0
    assert await TranscriptMessage.all().count() == 0
    assert await WeChatFollower.all().count() == 0
    assert await app.app[REDIS].keys("govhall:*") == []
    assert app.rasa.calls == []


# --- URL verification --------------------------------------------------------------------------

async def test_get_verification_echoes_echostr(wechat_app):
    app = await wechat_app()
    params = {**signed_params(), "echostr": "5837397520665448205"}
    params.pop("openid")
    resp = await app.client.get("/wechat", params=params)
    assert resp.status == 200 and await resp.text() == "5837397520665448205"


async def test_get_verification_with_a_forged_signature_is_refused(wechat_app):
    app = await wechat_app()
    params = {**signed_params(token="not-our-token"), "echostr": "123"}
    with capture_logs() as logs:
        resp = await app.client.get("/wechat", params=params)
    assert resp.status == 403 and "123" not in await resp.text()
    assert any(e["event"] == "wechat_rejected" and e["reason"] == "bad_signature" for e in logs)


# --- plaintext mode ----------------------------------------------------------------------------

async def test_text_goes_through_the_conversation_service(wechat_app):
    app = await wechat_app()
    openid, msg_id = new_openid(), new_msg_id()
    body = await app.say(openid, "办护照要什么材料", msg_id)
    assert text_reply(body, openid) == "答复：办护照要什么材料\n\n还有什么可以帮您？"  # one turn, one message
    assert app.rasa.calls[0]["sender"] == f"wechat:{openid}"
    conversation = await Conversation.get(channel="wechat", user_id=openid)
    citizen = await TranscriptMessage.get(conversation=conversation, role="citizen")
    assert (citizen.text, citizen.message_id) == ("办护照要什么材料", str(msg_id))


async def test_voice_uses_the_recognition(wechat_app):
    app = await wechat_app()
    openid = new_openid()
    status, body = await app.post(message("voice", openid, text="身份证丢了怎么补办"), openid)
    assert status == 200 and text_reply(body, openid).startswith("答复：身份证丢了怎么补办")


async def test_voice_without_recognition_asks_to_type(wechat_app):
    app = await wechat_app()
    openid = new_openid()
    status, body = await app.post(message("voice", openid, text=""), openid)
    assert text_reply(body, openid) == wechat_channel.VOICE_NOT_RECOGNISED and "输入文字" in text_reply(body, openid)
    assert app.rasa.calls == []


@pytest.mark.parametrize("kind", ["image", "location", "link", "video"])
async def test_other_messages_get_a_polite_explanation(wechat_app, kind):
    app = await wechat_app()
    openid = new_openid()
    status, body = await app.post(message(kind, openid), openid)
    reply = text_reply(body, openid)
    assert status == 200 and reply == wechat_channel.UNSUPPORTED
    assert "文字" in reply and "材料" in reply
    assert app.rasa.calls == []


async def test_subscribe_welcomes_and_unsubscribe_is_recorded(wechat_app):
    app = await wechat_app()
    openid = new_openid()
    status, body = await app.post(message("subscribe", openid), openid)
    welcome = text_reply(body, openid)
    assert welcome == wechat_channel.WELCOME and "材料" in welcome and "人工客服" in welcome
    follower = await WeChatFollower.get(openid=openid)
    assert follower.subscribed and follower.subscribed_at is not None

    status, body = await app.post(message("unsubscribe", openid), openid)
    assert (status, body) == (200, "success")
    follower = await WeChatFollower.get(openid=openid)
    assert not follower.subscribed and follower.unsubscribed_at is not None

    await app.post(message("subscribe", openid), openid)  # following again flips it back, one row
    assert [f.subscribed for f in await WeChatFollower.filter(openid=openid)] == [True]


@pytest.mark.parametrize("key", [GUIDE, MY_APPOINTMENTS, PROGRESS, HUMAN])
async def test_menu_clicks_start_their_conversation(wechat_app, key):
    app = await wechat_app()
    openid, created = new_openid(), 1700000123
    status, body = await app.post(message("click", openid, key=key, create_time=created), openid)
    assert text_reply(body, openid) == f"答复：{CLICK_TRIGGERS[key]}\n\n还有什么可以帮您？"
    assert app.rasa.calls[0]["message"] == CLICK_TRIGGERS[key]
    citizen = await TranscriptMessage.get(role="citizen")
    assert citizen.message_id == f"{openid}{created}"  # events: FromUserName + CreateTime
    # WeChat's retry of the same click is not a second turn.
    await app.post(message("click", openid, key=key, create_time=created), openid)
    assert len(app.rasa.calls) == 1


async def test_unknown_click_and_view_are_not_conversations(wechat_app):
    app = await wechat_app()
    openid = new_openid()
    status, body = await app.post(message("click", openid, key="NO_SUCH_BUTTON"), openid)
    assert "菜单" in text_reply(body, openid)
    status, body = await app.post(message("view", openid), openid)
    assert (status, body) == (200, "success")
    assert app.rasa.calls == [] and await Conversation.all().count() == 0


# --- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("tamper, reason", [
    (lambda p: {**p, "signature": sha1_signature("forged", p["timestamp"], p["nonce"])}, "bad_signature"),
    (lambda p: {k: v for k, v in p.items() if k != "signature"}, "missing_signature"),
    (lambda p: {**p, "nonce": p["nonce"] + "0"}, "bad_signature"),
    (lambda p: {}, "missing_signature"),
])
async def test_forged_or_missing_signature_is_403_and_nothing_is_stored(wechat_app, tamper, reason):
    app = await wechat_app()
    openid = new_openid()
    for kind in ("text", "subscribe"):
        with capture_logs() as logs:
            status, body = await app.post(message(kind, openid, text="办护照要什么材料"), openid,
                                          params=tamper(signed_params(openid)))
        assert status == 403 and "xml" not in body
        assert [e["reason"] for e in logs if e["event"] == "wechat_rejected"] == [reason]
    await nothing_stored(app)


@pytest.mark.parametrize("body, reason", [
    ("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1", "malformed_xml"),
    ("not xml at all", "malformed_xml"),
    ("<root><MsgType>text</MsgType></root>", "malformed_xml"),
    ("<xml><ToUserName>gh_1</ToUserName><Content>hi</Content></xml>", "malformed_xml"),
    ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
     "<xml><MsgType>text</MsgType><FromUserName>o1</FromUserName><Content>&b;</Content></xml>", "malformed_xml"),
])
async def test_malformed_xml_is_400_and_logged(wechat_app, body, reason):
    app = await wechat_app()
    with capture_logs() as logs:
        status, _ = await app.post(body, "o1")
    assert status == 400
    assert any(e["event"] == "wechat_rejected" and e["reason"].startswith(reason) for e in logs)
    await nothing_stored(app)


async def test_oversized_body_is_refused_before_parsing(wechat_app):
    app = await wechat_app()
    status, _ = await app.post("<xml>" + "x" * 70_000 + "</xml>", "o1")
    assert status == 413
    await nothing_stored(app)


async def test_unconfigured_token_answers_503(wechat_app):
    app = await wechat_app(token="")
    status, _ = await app.post(message("text", "o1", text="你好"), "o1")
    assert status == 503
    await nothing_stored(app)


# --- safe and compatible mode ------------------------------------------------------------------

async def test_safe_mode_round_trip(wechat_app):
    app = await wechat_app()
    openid = new_openid()
    status, body = await app.post(message("text", openid, text="营业执照怎么办"), openid, aes=True)
    assert status == 200 and "营业执照" not in body  # the reply is encrypted
    inner = decrypt_reply(body)  # checks MsgSignature with the token, decrypts with the AES key and app id
    assert (inner["ToUserName"], inner["FromUserName"]) == (openid, ACCOUNT)
    assert inner["Content"].startswith("答复：营业执照怎么办")


async def test_safe_mode_event_round_trip(wechat_app):
    app = await wechat_app()
    openid = new_openid()
    status, body = await app.post(message("subscribe", openid), openid, aes=True)
    assert decrypt_reply(body)["Content"] == wechat_channel.WELCOME


async def test_compatible_mode_is_decrypted_and_answered_encrypted(wechat_app):
    """Compatible mode: plaintext and <Encrypt> side by side; we trust only the signed ciphertext."""
    app = await wechat_app()
    openid = new_openid()
    params, sealed = encrypted(message("text", openid, text="真正的问题"), openid)
    body = message("text", openid, text="明文里的另一句").replace("</xml>", encrypt_element(sealed) + "</xml>")
    resp = await app.client.post("/wechat", params=params, data=body.encode())
    assert resp.status == 200
    assert decrypt_reply(await resp.text())["Content"].startswith("答复：真正的问题")


async def test_compatible_mode_without_a_key_uses_the_plaintext(wechat_app):
    app = await wechat_app(aes_key="")
    openid = new_openid()
    params, sealed = encrypted(message("text", openid, text="x"), openid)
    body = message("text", openid, text="明文问题").replace("</xml>", encrypt_element(sealed) + "</xml>")
    resp = await app.client.post("/wechat", params=params, data=body.encode())
    assert text_reply(await resp.text(), openid).startswith("答复：明文问题")


async def test_wrong_app_id_is_refused(wechat_app):
    app = await wechat_app()
    openid = new_openid()
    params, body = encrypted(message("text", openid, text="你好"), openid, app_id="wx-someone-else")
    with capture_logs() as logs:
        resp = await app.client.post("/wechat", params=params, data=body.encode())
    assert resp.status == 403
    assert [e["reason"] for e in logs if e["event"] == "wechat_rejected"] == ["unknown_app_id"]
    await nothing_stored(app)


async def test_wrong_msg_signature_is_refused(wechat_app):
    app = await wechat_app()
    openid = new_openid()
    params, body = encrypted(message("text", openid, text="你好"), openid)
    with capture_logs() as logs:
        resp = await app.client.post("/wechat", params={**params, "msg_signature": "0" * 40}, data=body.encode())
        resp2 = await app.client.post("/wechat", params={k: v for k, v in params.items() if k != "msg_signature"},
                                      data=body.encode())
    assert (resp.status, resp2.status) == (403, 403)
    assert [e["reason"] for e in logs if e["event"] == "wechat_rejected"] == ["bad_msg_signature",
                                                                              "missing_msg_signature"]
    await nothing_stored(app)


@pytest.mark.parametrize("payload", ["bm90IGVuY3J5cHRlZA==", "!!!not base64!!!", "QUJD" * 8, ""])
async def test_bad_aes_payload_is_refused(wechat_app, payload):
    app = await wechat_app()
    params = signed_params("o1")
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{payload}]]></Encrypt></xml>"
    # A correct msg_signature over garbage: only decryption can tell.
    params = {**params, "encrypt_type": "aes",
              "msg_signature": sha1_signature(TOKEN, params["timestamp"], params["nonce"], payload)}
    with capture_logs() as logs:
        resp = await app.client.post("/wechat", params=params, data=body.encode())
    assert resp.status in (400, 403)
    reasons = [e["reason"] for e in logs if e["event"] == "wechat_rejected"]
    assert len(reasons) == 1 and reasons[0].split(":")[0] in ("bad_aes_payload", "no_encrypt_element")
    await nothing_stored(app)


async def test_aes_key_from_another_account_is_refused(wechat_app):
    app = await wechat_app()
    openid = new_openid()
    other_key = AES_KEY[::-1]
    params, body = encrypted(message("text", openid, text="你好"), openid, aes_key=other_key)
    resp = await app.client.post("/wechat", params=params, data=body.encode())
    assert resp.status in (400, 403)
    await nothing_stored(app)
