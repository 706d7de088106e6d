"""The official-account channel: what each kind of WeChat message means to the bot, and WeChat's
5-second rule. The webhook route hands over a verified, parsed message; this returns the text of
the passive reply, or None for "success" (nothing now; the answer may follow as a
customer-service message). Agents' and system messages that could not go out as customer-service
messages (window closed, limit reached, API down) ride along in the passive reply to the user's next
message."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import redis.asyncio as aioredis
import structlog
from wechatpy.messages import BaseMessage

from bot import customer_service
from bot.console_events import announce
from bot.conversation import UNAVAILABLE_REPLY, ConversationService, Turn
from bot.customer_service import masked
from bot.wechat.envelope import message_identity
from bot.wechat.menu import CLICK_TRIGGERS
from bot.wechat.promises import BEAT_SECONDS, Promise, Promises
from miniprogram_api.instruments import WECHAT_LATE_REPLIES
from miniprogram_api.models.conversation import TranscriptMessage
from miniprogram_api.models.handoff import Ticket
from miniprogram_api.models.wechat import WeChatFollower
from miniprogram_api.wechat_api import WeChatApi

log = structlog.get_logger(__name__)

CHANNEL = "wechat"

WELCOME = ("感谢关注云溪市政务服务中心！我是政务服务助手，可以为您解答：\n"
           "· 办事要带什么材料、怎么办、多久办好、收不收费、在哪里办\n"
           "· 大厅的办公时间、地址和停车\n"
           "· 预约取号和办件进度（在小程序“云溪政务”中办理）\n"
           "直接发文字或语音问我就行，比如“办护照要什么材料”。需要人工服务请点菜单“人工客服”。")
VOICE_NOT_RECOGNISED = "抱歉，没有听清您的语音。请直接输入文字提问，比如“办护照要什么材料”。"
EMPTY_TEXT = "请直接输入您要咨询的事项，比如“办护照要什么材料”。"
UNSUPPORTED = ("抱歉，我暂时只能看懂文字和语音消息，无法识别图片、位置、链接或视频。"
               "您可以用文字问我办事要带什么材料、怎么办、多久办好、在哪里办，"
               "也可以查询预约和办件进度，或点菜单“人工客服”联系工作人员。")
UNKNOWN_BUTTON = "抱歉，这个菜单暂时不可用。请直接输入您要咨询的事项，比如“办护照要什么材料”。"

# How long the fate of a message's reply is remembered: well past WeChat's retries (3 within 15 s).
REPLY_STATE_SECONDS = 300
PASSIVE, LATER = "passive", "later"
SHUTDOWN_GRACE_SECONDS = 10
# How texts that arrive late are marked, so the citizen knows who wrote them and that they are not
# the answer to what was just asked.
LATE_MARKS = {"agent": "【客服回复】", "system": "【客服消息】"}


def merge(replies: list[str]) -> str:
    """One turn, one WeChat message: a passive reply is a single message, and each separate
    customer-service message would use up one of the 5 the window allows."""
    return "\n\n".join(r.strip() for r in replies if r and r.strip())


class WeChatChannel:
    def __init__(self, conversations: ConversationService, api: WeChatApi, redis: aioredis.Redis, budget: float):
        self.conversations, self.api, self.redis, self.budget = conversations, api, redis, budget
        self._background: set[asyncio.Task] = set()
        self.promises = Promises(redis)
        self._keeper = asyncio.ensure_future(self._keep_promises())

    async def _keep_promises(self) -> None:
        """This worker's heartbeat, and the answers a dead worker promised, taken over."""
        while True:
            try:
                await self.promises.beat()
                for promise in await self.promises.orphaned():
                    log.warning("wechat_promise_taken_over", openid=masked(promise.openid))
                    task = asyncio.ensure_future(
                        self.conversations.handle(CHANNEL, promise.openid, promise.text, promise.message_id))
                    self._in_background(self._deliver_later(task, promise))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 — Redis away for a moment: beat again next time
                log.exception("wechat_promise_keeper_failed")
            await asyncio.sleep(BEAT_SECONDS)

    async def respond(self, msg: BaseMessage) -> str | None:
        # Only what opens WeChat's window gets a passive reply the user sees: messages, follow, clicks.
        if msg.type == "event" and msg.event not in ("subscribe", "subscribe_scan", "click"):
            return await self._event(msg)
        # Taken before the turn, so a retry of this message arriving meanwhile gets the same texts.
        pending = await self._pending_for(msg)
        reply = await self._event(msg) if msg.type == "event" else await self._message(msg)
        if not pending:
            return reply
        await self._delivered_late(pending["rows"])  # after the turn: take_rating reads what was unseen
        return merge([pending["text"], reply or ""])

    async def _message(self, msg: BaseMessage) -> str | None:
        openid = msg.source
        await customer_service.note_user_message(self.redis, openid)
        if msg.type == "text":
            text = (msg.content or "").strip()
            return await self._converse(openid, text, str(msg.id)) if text else EMPTY_TEXT
        if msg.type == "voice":
            # WeChat's own speech recognition; without it (not enabled, or nothing heard) we cannot help.
            text = (msg.recognition or "").strip()
            return await self._converse(openid, text, str(msg.id)) if text else VOICE_NOT_RECOGNISED
        log.info("wechat_unsupported_message", openid=masked(openid), type=msg.type)
        return UNSUPPORTED

    async def _event(self, msg: BaseMessage) -> str | None:
        openid, event = msg.source, msg.event
        if event in ("subscribe", "subscribe_scan"):
            await customer_service.note_user_message(self.redis, openid)
            await self._follow(openid, True)
            return WELCOME
        if event == "unsubscribe":
            await self._follow(openid, False)
            return None
        if event == "click":
            # A click opens the customer-service window like a message does (WeChat's rules).
            await customer_service.note_user_message(self.redis, openid)
            trigger = CLICK_TRIGGERS.get(msg.key or "")
            if trigger is None:
                log.warning("wechat_unknown_menu_key", key=(msg.key or "")[:40])
                return UNKNOWN_BUTTON
            # Events have no MsgId; WeChat's documented de-duplication key is FromUserName + CreateTime.
            return await self._converse(openid, trigger, f"{openid}{msg.time}")
        log.debug("wechat_event_ignored", wechat_event=event)  # VIEW (the browser opens the page), scans, …
        return None

    async def _pending_for(self, msg: BaseMessage) -> dict | None:
        """What waits for this user, marked and merged, and the transcript rows it came from."""
        key = f"govhall:wechat:pending-reply:{message_identity(msg)}"
        if held := await self.redis.get(key):
            return {**json.loads(held), "rows": []}  # a retry: the first request marks the rows
        items = await customer_service.take_pending(self.redis, msg.source)
        if not items:
            return None
        text = merge([LATE_MARKS.get(i.get("role"), "") + i.get("text", "") for i in items])
        await self.redis.set(key, json.dumps({"text": text}, ensure_ascii=False), ex=REPLY_STATE_SECONDS)
        log.info("wechat_pending_in_reply", openid=masked(msg.source), messages=len(items))
        return {"text": text, "rows": [i["row"] for i in items if isinstance(i.get("row"), int)]}

    async def _delivered_late(self, row_ids: list[int]) -> None:
        conversations = set()
        for row in await TranscriptMessage.filter(id__in=row_ids):
            row.data = {**(row.data or {}), "delivered": True, "delivered_late": True}
            await row.save(update_fields=["data"])
            conversations.add(row.conversation_id)
            if isinstance(ticket := row.data.get("ticket"), int):
                # The answer reached the citizen after all: the call-back is no longer needed.
                await Ticket.filter(id=ticket, status="open").update(status="answered", delivered=True)
        for conversation_id in conversations:  # consoles showing it drop the "未送达" mark
            await announce(self.redis, {"type": "delivered_late", "conversation_id": conversation_id})

    async def _follow(self, openid: str, subscribed: bool) -> None:
        now = datetime.now(UTC)
        follower, created = await WeChatFollower.get_or_create(
            openid=openid, defaults={"subscribed": subscribed, "subscribed_at": now if subscribed else None,
                                     "unsubscribed_at": None if subscribed else now})
        if not created:
            follower.subscribed = subscribed
            if subscribed:
                follower.subscribed_at = now
            else:
                follower.unsubscribed_at = now
            await follower.save()
        log.info("wechat_follow" if subscribed else "wechat_unfollow", openid=masked(openid))

    async def _converse(self, openid: str, text: str, message_id: str) -> str | None:
        state_key = f"govhall:wechat:reply:{openid}:{message_id}"
        # A retry of a message whose answer goes out as a customer-service message: that one
        # delivery is the answer, so acknowledge without touching the conversation.
        if await self.redis.get(state_key) == LATER:
            log.info("wechat_retry_answered_later", openid=masked(openid))
            return None
        # The conversation service drops duplicates (a retry waits on the per-user lock, then gets
        # the cached turn), so a retry simply asks again and gets the same turn.
        task = asyncio.ensure_future(self.conversations.handle(CHANNEL, openid, text, message_id))
        done, _ = await asyncio.wait({task}, timeout=self.budget)
        if task in done:
            text_now = self._reply_text(task)
            # Each message's reply goes out one way only: passively (any number of identical
            # retries) or once later; the first request to decide wins.
            if await self.redis.set(state_key, PASSIVE, nx=True, ex=REPLY_STATE_SECONDS) \
                    or await self.redis.get(state_key) == PASSIVE:
                return text_now or None
            return None
        if await self.redis.set(state_key, LATER, nx=True, ex=REPLY_STATE_SECONDS):
            log.info("wechat_reply_later", openid=masked(openid), budget=self.budget)
            promise = Promise(openid, text, message_id)
            await self.promises.make(promise)
            self._in_background(self._deliver_later(task, promise))
        else:
            self._in_background(task)  # someone else answers; let ours finish (it only reads the cache)
        return None

    @staticmethod
    def _reply_text(task: asyncio.Future[Turn]) -> str:
        if task.exception() is not None:
            log.error("wechat_turn_failed", error=repr(task.exception()))
            return UNAVAILABLE_REPLY
        return merge(task.result().replies)

    async def _deliver_later(self, task: asyncio.Future[Turn], promise: Promise) -> None:
        try:
            await asyncio.wait({task})
            text = self._reply_text(task)
            if text:
                WECHAT_LATE_REPLIES.inc()
                await self.send(promise.openid, text)
        finally:  # kept or failed, it is this worker's no longer: else it would beat for it for ever
            await self.promises.kept(promise)

    async def send(self, openid: str, text: str) -> customer_service.SendResult:
        """A customer-service text to an official-account user within WeChat's window (truthy when sent)."""
        return await customer_service.send_text(self.api, self.redis, openid, text)

    def _in_background(self, aw) -> None:
        # Keep a reference (the loop holds tasks weakly) and retrieve exceptions so none go unnoticed.
        task = asyncio.ensure_future(aw)
        self._background.add(task)

        def done(t: asyncio.Task) -> None:
            self._background.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("wechat_background_failed", error=repr(t.exception()))

        task.add_done_callback(done)

    async def close(self) -> None:
        """On shutdown, let answers already on their way go out before the HTTP session closes."""
        self._keeper.cancel()
        if self._background:
            _, pending = await asyncio.wait(set(self._background), timeout=SHUTDOWN_GRACE_SECONDS)
            for task in pending:
                task.cancel()
