"""Structured JSON logs. Identity numbers and phone numbers are masked in every logged string."""
from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

_ID_NUMBER = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_id_number(value: str) -> str:
    """110101199003071234 → 110101********1234"""
    return _ID_NUMBER.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), value)


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678"""
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), value)


def mask_sensitive(value: str) -> str:
    return mask_phone(mask_id_number(value))


def _mask_processor(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    return {k: mask_sensitive(v) if isinstance(v, str) else v for k, v in event.items()}


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            _mask_processor,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
