"""Messages to a citizen outside a conversation turn, through the mini-program's subscribe
messages. Each is recorded once (`dedupe_key`), so a reminder or a status notice is never sent twice."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from tortoise.exceptions import IntegrityError

from miniprogram_api.models.citizen import Citizen, Notification
from miniprogram_api.wechat_api import WeChatApi, WeChatError

log = structlog.get_logger(__name__)


class Notifier:
    def __init__(self, wxa: WeChatApi, templates: dict[str, str]):
        self.wxa, self.templates = wxa, templates

    async def send(self, citizen: Citizen, kind: str, dedupe_key: str, data: dict[str, str],
                   page: str | None = None) -> Notification | None:
        """Records and sends one notice; returns None when this `dedupe_key` was recorded before."""
        try:
            note = await Notification.create(citizen=citizen, kind=kind, dedupe_key=dedupe_key, data=data)
        except IntegrityError:
            return None
        if not self.wxa.configured:
            note.status, note.error = "skipped", "mini-program not configured"
        else:
            try:
                await self.wxa.send_subscribe_message(citizen.openid, self.templates[kind], _fit(data), page)
                note.status, note.sent_at = "sent", datetime.now(UTC)
            except WeChatError as exc:
                # 43101: the citizen has not (or no longer) subscribed; recorded, never retried blindly.
                note.status, note.error = "failed", str(exc)[:200]
                log.warning("notification_failed", kind=kind, citizen=citizen.id, errcode=exc.errcode)
        await note.save(update_fields=["status", "error", "sent_at"])
        log.info("notification", kind=kind, citizen=citizen.id, status=note.status)
        return note


def _fit(data: dict[str, Any]) -> dict[str, str]:
    # Subscribe-message "thing" fields take at most 20 characters.
    return {k: (str(v) if len(str(v)) <= 20 else str(v)[:19] + "…") for k, v in data.items()}
