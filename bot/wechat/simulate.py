"""Play WeChat's server: build a message as WeChat would, sign it (and encrypt it in safe mode),
post it to the webhook and open the reply. Used by `govhall wechat simulate` and the bench."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from xml.sax.saxutils import escape

import aiohttp
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

ACCOUNT = "gh_govhall_demo"  # the official account's original id (ToUserName); the webhook does not check it


def text_xml(openid: str, text: str, msg_id: int, create_time: int | None = None, to_user: str = ACCOUNT) -> str:
    """A text message exactly as WeChat documents it (接收普通消息 / 文本消息)."""
    return (f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text.replace(']]>', ']]]]><![CDATA[>')}]]></Content>"
            f"<MsgId>{msg_id}</MsgId></xml>")


def signature(token: str, *parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(token, *parts)
    return signer.signature


@dataclass
class Signer:
    """WeChat's side of the envelope for one account: query parameters and body for a message."""
    token: str
    app_id: str = ""
    aes_key: str = ""  # set: safe mode (encrypt_type=aes)

    @property
    def crypto(self) -> WeChatCrypto:
        return WeChatCrypto(self.token, self.aes_key, self.app_id)

    def request(self, xml: str, openid: str) -> tuple[dict[str, str], str]:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        params = {"signature": signature(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                  "openid": openid}
        if not self.aes_key:
            return params, xml
        encrypted = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
        body = (f"<xml><ToUserName><![CDATA[{escape(ACCOUNT)}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted['Encrypt']}]]></Encrypt></xml>")
        return {**params, "encrypt_type": "aes", "msg_signature": encrypted["MsgSignature"]}, body

    def open_reply(self, body: str) -> str | None:
        """The text of a passive reply (checking its signature when encrypted); None for "success"."""
        if body.strip() in ("", "success"):
            return None
        fields = xmltodict.parse(body)["xml"]
        if "Encrypt" in fields:
            fields = xmltodict.parse(self.crypto.decrypt_message(body, fields["MsgSignature"], fields["TimeStamp"],
                                                                 fields["Nonce"]))["xml"]
        return fields.get("Content") or ""


async def post(http: aiohttp.ClientSession, url: str, signer: Signer, xml: str, openid: str,
               timeout: float = 10) -> tuple[int, str]:
    params, body = signer.request(xml, openid)
    async with http.post(url, params=params, data=body.encode("utf-8"), headers={"Content-Type": "text/xml"},
                         timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
        return resp.status, await resp.text()
