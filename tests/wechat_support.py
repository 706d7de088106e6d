"""Shared by the WeChat tests: messages as WeChat documents them (接收普通消息, 接收事件推送), WeChat's
signing done independently of the app (sha1 by hand; AES with wechatpy's WeChatCrypto), a delay
server on Rasa's REST route for the timing and plumbing tests (never for content), and the app
wired to the fake WeChat."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import secrets
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import pytest
import xmltodict
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from wechatpy.crypto import WeChatCrypto

TOKEN = "govhall-token"
APP_ID = "wx-official"
APP_SECRET = "oa-secret"
# A valid EncodingAESKey: 43 characters of base64 for 32 bytes, fixed so failures are reproducible.
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
ACCOUNT = "gh_1234567890ab"  # ToUserName: the account's original id
CS_PATH = "/cgi-bin/message/custom/send"

_ids = itertools.count(int(time.time()) * 1000)


def new_openid() -> str:
    return "oPjd" + secrets.token_urlsafe(21)[:24]  # 28 characters like WeChat's


def new_msg_id() -> int:
    return next(_ids)


HEAD = """<xml>
  <ToUserName><![CDATA[{account}]]></ToUserName>
  <FromUserName><![CDATA[{openid}]]></FromUserName>
  <CreateTime>{time}</CreateTime>
"""
BODIES = {
    "text": """  <MsgType><![CDATA[text]]></MsgType>
  <Content><![CDATA[{text}]]></Content>
  <MsgId>{msg_id}</MsgId>
  <MsgDataId></MsgDataId>
  <Idx></Idx>
""",
    "voice": """  <MsgType><![CDATA[voice]]></MsgType>
  <MediaId><![CDATA[gyci5a-xtk1tpUahl2aCJd8Ay5IH5xtF4n0dmJSg1bhlmFDbmiG4_2lSYq9qyGkS]]></MediaId>
  <Format><![CDATA[amr]]></Format>
  <Recognition><![CDATA[{text}]]></Recognition>
  <MsgId>{msg_id}</MsgId>
""",
    "image": """  <MsgType><![CDATA[image]]></MsgType>
  <PicUrl><![CDATA[http://mmbiz.qpic.cn/mmbiz_jpg/example/0]]></PicUrl>
  <MediaId><![CDATA[media_id]]></MediaId>
  <MsgId>{msg_id}</MsgId>
""",
    "location": """  <MsgType><![CDATA[location]]></MsgType>
  <Location_X>23.134521</Location_X>
  <Location_Y>113.358803</Location_Y>
  <Scale>20</Scale>
  <Label><![CDATA[位置信息]]></Label>
  <MsgId>{msg_id}</MsgId>
""",
    "link": """  <MsgType><![CDATA[link]]></MsgType>
  <Title><![CDATA[公众平台官网链接]]></Title>
  <Description><![CDATA[公众平台官网链接]]></Description>
  <Url><![CDATA[https://mp.weixin.qq.com/]]></Url>
  <MsgId>{msg_id}</MsgId>
""",
    "video": """  <MsgType><![CDATA[video]]></MsgType>
  <MediaId><![CDATA[media_id]]></MediaId>
  <ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>
  <MsgId>{msg_id}</MsgId>
""",
    "subscribe": """  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[subscribe]]></Event>
""",
    "unsubscribe": """  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[unsubscribe]]></Event>
""",
    "click": """  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[CLICK]]></Event>
  <EventKey><![CDATA[{key}]]></EventKey>
""",
    "view": """  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[VIEW]]></Event>
  <EventKey><![CDATA[https://www.gjzwfw.gov.cn/]]></EventKey>
  <MenuId>1</MenuId>
""",
}


def message(kind: str, openid: str, *, text: str = "", key: str = "", msg_id: int | None = None,
            create_time: int | None = None, account: str = ACCOUNT) -> str:
    return (HEAD + BODIES[kind] + "</xml>").format(
        account=account, openid=openid, time=create_time or int(time.time()), text=text, key=key,
        msg_id=msg_id if msg_id is not None else new_msg_id())


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signed_params(openid: str = "", token: str = TOKEN) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    return {"signature": sha1_signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
            "openid": openid}


def encrypted(xml: str, openid: str, *, app_id: str = APP_ID, aes_key: str = AES_KEY,
              token: str = TOKEN) -> tuple[dict[str, str], str]:
    """Safe mode as WeChat sends it: the message inside <Encrypt>, msg_signature over it."""
    params = signed_params(openid, token)
    sealed = xmltodict.parse(WeChatCrypto(token, aes_key, app_id).encrypt_message(xml, params["nonce"],
                                                                                 params["timestamp"]))["xml"]
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>"
    return {**params, "encrypt_type": "aes", "msg_signature": sealed["MsgSignature"]}, body


def reply_fields(body: str) -> dict[str, str]:
    return xmltodict.parse(body)["xml"]


def decrypt_reply(body: str) -> dict[str, str]:
    outer = reply_fields(body)
    assert set(outer) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}, outer
    inner = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(body, outer["MsgSignature"], outer["TimeStamp"],
                                                                 outer["Nonce"])
    return xmltodict.parse(inner)["xml"]


@dataclass
class DelayRasa:
    """Rasa's REST route with a chosen delay, answering "答复：<text>". Only for timing and plumbing;
    what the bot says is tested against the real Rasa (test_wechat_bot.py)."""
    delay: float = 0.0
    calls: list[dict] = field(default_factory=list)
    server: TestServer | None = None

    async def _webhook(self, request: web.Request) -> web.Response:
        payload = await request.json()
        self.calls.append(payload)
        await asyncio.sleep(self.delay)
        return web.json_response([{"recipient_id": payload["sender"], "text": f"答复：{payload['message']}"},
                                  {"recipient_id": payload["sender"], "text": "还有什么可以帮您？"}])

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def start(self) -> DelayRasa:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self


@dataclass
class WeChatApp:
    client: TestClient
    rasa: DelayRasa

    @property
    def app(self) -> web.Application:
        return self.client.server.app

    async def post(self, xml: str, openid: str, *, aes: bool = False, params: dict | None = None):
        if aes:
            query, body = encrypted(xml, openid)
        else:
            query, body = signed_params(openid), xml
        resp = await self.client.post("/wechat", params=params if params is not None else query,
                                      data=body.encode(), headers={"Content-Type": "text/xml"})
        return resp.status, await resp.text()

    async def say(self, openid: str, text: str, msg_id: int | None = None, aes: bool = False) -> str:
        status, body = await self.post(message("text", openid, text=text, msg_id=msg_id), openid, aes=aes)
        assert status == 200, body
        return body


@pytest.fixture
async def wechat_app(database_url, redis_url, fake_wechat):
    """Factory: the app with the official account configured (token, AES key, app id and secret)
    against the fake WeChat, and Rasa's route answered by a DelayRasa."""
    from miniprogram_api.app import create_app
    from miniprogram_api.config import Settings

    if redis_url:
        import redis.asyncio as aioredis

        async with aioredis.from_url(redis_url) as r:
            await r.flushdb()
    async with AsyncExitStack() as stack:
        async def make(budget: float = 2.0, delay: float = 0.0, aes_key: str = AES_KEY, token: str = TOKEN) -> WeChatApp:
            rasa = await DelayRasa(delay).start()
            stack.push_async_callback(rasa.server.close)
            settings = Settings(database_url=database_url, redis_url=redis_url, rasa_url=rasa.url, rasa_timeout=5,
                                wechat_api_base=fake_wechat.url, wechat_app_id=APP_ID, wechat_app_secret=APP_SECRET,
                                wechat_token=token, wechat_aes_key=aes_key, wechat_reply_budget=budget)
            client = await stack.enter_async_context(TestClient(TestServer(create_app(settings, manage_db=False))))
            return WeChatApp(client, rasa)

        yield make


async def eventually(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)
