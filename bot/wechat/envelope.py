"""The official-account webhook's envelope: signatures, AES (safe and compatible mode) and the XML
in and out. Pure computation with wechatpy; no network, no database, so a request that fails here
has touched nothing."""
from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

from miniprogram_api.digits import plain_digits


class Rejected(Exception):
    """The request is not a genuine, readable WeChat message; `reason` goes to the log."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass
class Inbound:
    message: BaseMessage
    encrypted: bool  # came in safe/compatible mode with our key: the reply is encrypted too


def _parse_xml(raw: bytes | str) -> dict[str, Any]:
    try:
        # xmltodict refuses entity declarations by default, which also shuts out billion-laughs payloads.
        doc = xmltodict.parse(raw)
    except Exception as exc:  # expat errors, entity refusals (ValueError), undecodable bytes
        raise Rejected(400, f"malformed_xml: {type(exc).__name__}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("xml"), dict):
        raise Rejected(400, "malformed_xml: no <xml> element")
    return doc["xml"]


NUMERIC_FIELDS = ("MsgId", "CreateTime")


def _message(xml_text: str) -> BaseMessage:
    fields = _parse_xml(xml_text)
    if not fields.get("MsgType") or not fields.get("FromUserName"):
        raise Rejected(400, "malformed_xml: no MsgType or FromUserName")
    # WeChat sends each field once, as text. A repeated field parses to a list and markup inside one to
    # a dict; wechatpy would fail on either (or on a MsgId that is not a number) deep in its parser.
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise Rejected(400, f"malformed_xml: {name[:20]} repeated or nested")
    for name in NUMERIC_FIELDS:
        value = fields.get(name)
        if value is not None and not (plain_digits(value) and len(value) <= 20):
            raise Rejected(400, f"malformed_xml: {name} not a number")
    try:
        return parse_message(xml_text)
    except Exception as exc:  # noqa: BLE001 — whatever else wechatpy cannot read is not WeChat's message
        raise Rejected(400, f"malformed_xml: {type(exc).__name__}") from None


def message_identity(message: BaseMessage) -> str:
    """What makes a message itself: WeChat's retries of it share this, a replayed signature on another
    message does not (events have no MsgId; the user and the second they were sent tell them apart)."""
    return f"{message.source}:{getattr(message, 'id', None) or message.create_time}:{message.type}"


class Envelope:
    def __init__(self, token: str, app_id: str, aes_key: str, max_skew: int = 300):
        self.token, self.app_id = token, app_id
        self.max_skew = max_skew  # seconds a signed timestamp may be from our clock
        # Settings validated the key (43 characters of base64 for 32 bytes), so this cannot fail here.
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key and token else None

    def _check(self, query: Mapping[str, str]) -> None:
        if not self.token:
            raise Rejected(503, "wechat_token_not_configured")
        signature, timestamp, nonce = (query.get(k, "") for k in ("signature", "timestamp", "nonce"))
        if not (signature and timestamp and nonce):
            raise Rejected(403, "missing_signature")
        if not (plain_digits(timestamp) and len(timestamp) <= 12) or len(nonce) > 64:
            raise Rejected(403, "bad_timestamp_or_nonce")
        try:
            check_signature(self.token, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise Rejected(403, "bad_signature") from None
        # A signature is valid forever; only a recent one is accepted (a captured request from 2001 was).
        if abs(time.time() - int(timestamp)) > self.max_skew:
            raise Rejected(403, "stale_timestamp")

    def verify_url(self, query: Mapping[str, str]) -> str:
        """GET: WeChat checks the server URL; echoing `echostr` back proves we hold the token."""
        self._check(query)
        return query.get("echostr", "")

    def open(self, query: Mapping[str, str], body: bytes) -> Inbound:
        self._check(query)
        encrypt_type = query.get("encrypt_type", "raw") or "raw"
        if encrypt_type == "raw":
            return Inbound(_message(body.decode("utf-8", "replace")), encrypted=False)
        if encrypt_type != "aes":
            raise Rejected(400, f"unknown_encrypt_type: {encrypt_type[:20]}")
        fields = _parse_xml(body)
        if self.crypto is None:
            # Compatible mode carries the plaintext next to <Encrypt>; until a key is configured, use it.
            if fields.get("MsgType"):
                return Inbound(_message(body.decode("utf-8", "replace")), encrypted=False)
            raise Rejected(400, "aes_key_not_configured")
        msg_signature = query.get("msg_signature", "")
        if not msg_signature:
            raise Rejected(403, "missing_msg_signature")
        if not isinstance(fields.get("Encrypt"), str):
            raise Rejected(400, "no_encrypt_element")
        try:
            plaintext = self.crypto.decrypt_message(fields, msg_signature, query["timestamp"], query["nonce"])
        except InvalidSignatureException:
            raise Rejected(403, "bad_msg_signature") from None
        except InvalidAppIdException:
            raise Rejected(403, "unknown_app_id") from None
        except Exception as exc:  # base64, padding, length prefix, UTF-8: all mean a payload not from WeChat
            raise Rejected(400, f"bad_aes_payload: {type(exc).__name__}") from None
        return Inbound(_message(plaintext), encrypted=True)

    def seal(self, inbound: Inbound, text: str) -> str:
        """A passive text reply to `inbound`, encrypted when the message was."""
        xml = create_reply(text, message=inbound.message, render=True)
        if inbound.encrypted and self.crypto is not None:
            return self.crypto.encrypt_message(xml, secrets.token_hex(8), str(int(time.time())))
        return xml
