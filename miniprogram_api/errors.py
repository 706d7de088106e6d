"""The error every layer raises for a failure the caller should hear about. miniprogram_api.http turns
it into the one JSON error envelope: {"error": {"code", "message", "fields"}}."""
from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}
