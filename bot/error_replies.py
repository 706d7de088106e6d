"""The one place a refused rule becomes a chat sentence (the HTTP side is miniprogram_api.http)."""
from __future__ import annotations

from miniprogram_api.errors import DomainError


def chat_reply(exc: DomainError, what_failed: str = "") -> str:
    """"预约没有成功：这个时段已约满" — the rule's own Chinese message, after what did not happen."""
    return f"{what_failed}：{exc.message}" if what_failed else exc.message + "。"
