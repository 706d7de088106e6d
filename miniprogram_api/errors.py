"""Domain errors: what a rule says when it refuses, in words a citizen or a member of staff can read.

Every layer raises these and none of them knows about HTTP. Two places translate them: the error
middleware (miniprogram_api.http, by kind → status, into {"error": {"code", "message", "fields"}}) and,
for the chat, bot.error_replies (into a sentence)."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """`code` is stable for programs, `message` is Chinese for people, `fields` names what was wrong."""

    def __init__(self, code: str, message: str, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields or {}


class Invalid(DomainError):
    """The request itself is wrong: a missing reason, a bad date, a period too long."""


class Unauthorized(DomainError):
    """Nobody is logged in, or the login is no longer valid."""


class Forbidden(DomainError):
    """Somebody is logged in but may not do this."""


class NotFound(DomainError):
    """The thing asked for does not exist (or is not the asker's to see)."""


class Conflict(DomainError):
    """The thing exists but its state forbids this now: a full slot, an answered ticket."""


class RateLimited(DomainError):
    """Too many attempts; `retry_after` (seconds), when known, says when to come back."""

    def __init__(self, code: str, message: str, fields: dict[str, Any] | None = None, retry_after: int | None = None):
        super().__init__(code, message, fields)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A part of ours cannot answer now (the bot is busy or down); try again shortly."""

    def __init__(self, code: str, message: str, fields: dict[str, Any] | None = None, retry_after: int | None = None):
        super().__init__(code, message, fields)
        self.retry_after = retry_after


class UpstreamFailed(DomainError):
    """A service we call (WeChat, a Rasa process during a deploy) answered with a failure."""
