"""Settings from environment variables; a malformed value stops start-up naming the variable."""
from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from miniprogram_api.digits import plain_digits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite://{PROJECT_ROOT / 'var' / 'govhall.sqlite3'}"


class ConfigError(ValueError):
    """A setting is malformed; the message names the variable."""


def _port(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not plain_digits(raw) or not 0 < int(raw) < 65536:
        raise ConfigError(f"{name}={raw!r}: expected a TCP port number between 1 and 65535")
    return int(raw)


def _url(env: dict[str, str], name: str, default: str | None, schemes: tuple[str, ...]) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    parsed = urlparse(raw)
    if parsed.scheme not in schemes:
        raise ConfigError(f"{name}={raw!r}: expected a URL starting with one of {', '.join(s + '://' for s in schemes)}")
    if parsed.scheme not in ("sqlite", "memory") and not parsed.hostname:
        raise ConfigError(f"{name}={raw!r}: the URL has no host")
    return raw


def _urls(env: dict[str, str], name: str, default: str, schemes: tuple[str, ...]) -> str:
    """One URL, or several separated by commas (several Rasa processes)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    return ",".join(_url({name: part}, name, default, schemes) for part in raw.split(",") if part.strip())


def _number(env: dict[str, str], name: str, default: float, expected: str, valid, rule: str) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected {expected}") from None
    if not valid(value):
        raise ConfigError(f"{name}={raw!r}: {rule}")
    return value


def _float(env: dict[str, str], name: str, default: float) -> float:
    return _number(env, name, default, "a number of seconds", lambda v: v > 0, "must be greater than 0")


def _fraction(env: dict[str, str], name: str, default: float) -> float:
    return _number(env, name, default, "a fraction such as 0.02", lambda v: 0 <= v <= 1, "must be between 0 and 1")


def _hours(env: dict[str, str], name: str) -> str:
    raw = env.get(name, "").strip()
    if raw.lower() == "24x7":
        return "24x7"
    if raw and not re.fullmatch(r"\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2})*", raw.replace(" ", "")):
        raise ConfigError(f"{name}={raw!r}: expected 24x7 or periods like 09:00-12:00,13:30-17:30")
    return raw.replace(" ", "")


def _count(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not plain_digits(raw) or not low <= int(raw) <= high:
        raise ConfigError(f"{name}={raw!r}: expected a whole number from {low} to {high}")
    return int(raw)


def _choice(env: dict[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip().upper()
    if not raw:
        return default
    if raw not in choices:
        raise ConfigError(f"{name}={raw!r}: expected one of {', '.join(choices)}")
    return raw


def _reply_budget(env: dict[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    # WeChat drops the connection at 5 s and retries; a budget at or past that never replies passively.
    if value >= 5:
        raise ConfigError(f"{name}={value}: must be less than WeChat's 5-second reply limit")
    return value


def _aes_key(env: dict[str, str], name: str) -> str:
    raw = env.get(name, "").strip()
    # WeChat's EncodingAESKey is always 43 characters of base64 without the trailing '='.
    if raw and len(raw) != 43:
        raise ConfigError(f"{name}: expected WeChat's 43-character EncodingAESKey, got {len(raw)} characters")
    if raw:
        try:
            decoded = base64.b64decode(raw + "=", validate=True)
        except binascii.Error:
            decoded = b""
        if len(decoded) != 32:  # an AES-256 key; anything else fails on the first encrypted message
            raise ConfigError(f"{name}: not valid base64 for a 32-byte key")
    return raw


def _secret(env: dict[str, str], name: str) -> str:
    raw = env.get(name, "").strip()
    if raw and (len(raw) < 16 or not re.fullmatch(r"[A-Za-z0-9_.~-]+", raw)):
        # It travels in a header and (RASA_TOKEN) a query string: URL-safe, and long enough not to guess.
        raise ConfigError(f"{name}: expected at least 16 URL-safe characters (letters, digits, _ . ~ -)")
    return raw


def _flag(env: dict[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw not in ("", "0", "1", "true", "false", "yes", "no"):
        raise ConfigError(f"{name}={raw!r}: expected 1 or 0")
    return raw in ("1", "true", "yes")


DEFAULT_TEMPLATES = {"reminder": "appointment_reminder", "slot_closed": "appointment_cancelled",
                     "progress": "application_progress", "reply": "service_reply"}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None  # None: the in-process stand-in
    rasa_url: str = "http://127.0.0.1:5005"
    app_host: str = "127.0.0.1"
    app_port: int = 8080
    rasa_port: int = 5005
    rasa_timeout: float = 10.0
    turn_lock_seconds: float = 60.0  # a citizen's turn lock lives this long unless renewed (every third of it)
    actions_token: str = ""  # the secret Rasa sends with every action call; empty: the actions refuse every call
    rasa_token: str = ""  # Rasa's --auth-token, sent with every call to Rasa's HTTP API
    metrics_token: str = ""  # GET /metrics from elsewhere than this machine needs it as a bearer token; empty: local only
    dev_login: bool = False  # DEV_LOGIN=1: the development login, for a demo without a mini-program
    wechat_token: str = ""
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_aes_key: str = ""
    wechat_max_skew: int = 300  # seconds a WeChat request's signed timestamp may differ from our clock
    wechat_reply_budget: float = 4.0  # seconds to wait for a turn before answering "success" and sending it later
    wxa_app_id: str = ""
    wxa_app_secret: str = ""
    wechat_api_base: str = "https://api.weixin.qq.com"
    log_level: str = "INFO"
    agent_hours: str = ""  # empty: the city centre's opening hours
    agent_idle_minutes: float = 30.0
    agent_claim_minutes: float = 10.0
    app_workers: int = 1
    kb_path: Path = field(default=PROJECT_ROOT / "knowledge" / "data")
    faq_export_path: Path = field(default=PROJECT_ROOT / "intents" / "templates" / "faq.yml")
    # Model life cycle (issue 7): where trained models are kept, what a retrain uses, the deploy gate.
    model_dir: Path = field(default=PROJECT_ROOT / "intents" / "models" / "versions")
    train_config: Path = field(default=PROJECT_ROOT / "intents" / "config.yml")
    eval_test_set: Path = field(default=PROJECT_ROOT / "bench" / "data" / "nlu_test.yml")
    curation_max_drop: float = 0.02  # deploying is refused when intent accuracy falls by more than this
    curation_keep_models: int = 5
    # Subscribe-message template ids by kind (each mini-program registers its own templates).
    wxa_templates: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        rasa_port = _port(env, "RASA_PORT", 5005)
        return cls(
            database_url=_url(env, "DATABASE_URL", DEFAULT_DATABASE_URL, ("sqlite", "postgres", "asyncpg")),
            redis_url=_url(env, "REDIS_URL", None, ("redis", "rediss", "unix")),
            rasa_url=_urls(env, "RASA_URL", f"http://127.0.0.1:{rasa_port}", ("http", "https")),
            app_host=env.get("APP_HOST", "127.0.0.1").strip() or "127.0.0.1",
            app_port=_port(env, "APP_PORT", 8080),
            rasa_port=rasa_port,
            rasa_timeout=_float(env, "RASA_TIMEOUT", 10.0),
            turn_lock_seconds=_float(env, "TURN_LOCK_SECONDS", 60.0),
            actions_token=_secret(env, "ACTIONS_TOKEN"),
            rasa_token=_secret(env, "RASA_TOKEN"),
            metrics_token=_secret(env, "METRICS_TOKEN"),
            dev_login=_flag(env, "DEV_LOGIN"),
            wechat_token=env.get("WECHAT_TOKEN", "").strip(),
            wechat_app_id=env.get("WECHAT_APP_ID", "").strip(),
            wechat_app_secret=env.get("WECHAT_APP_SECRET", "").strip(),
            wechat_aes_key=_aes_key(env, "WECHAT_AES_KEY"),
            wechat_max_skew=int(_float(env, "WECHAT_MAX_SKEW", 300)),
            wechat_reply_budget=_reply_budget(env, "WECHAT_REPLY_BUDGET", 4.0),
            wxa_app_id=env.get("WXA_APP_ID", "").strip(),
            wxa_app_secret=env.get("WXA_APP_SECRET", "").strip(),
            wechat_api_base=_url(env, "WECHAT_API_BASE", "https://api.weixin.qq.com", ("http", "https")),
            wxa_templates={k: env.get(f"WXA_TEMPLATE_{k.upper()}", "").strip() or v for k, v in DEFAULT_TEMPLATES.items()},
            app_workers=_count(env, "APP_WORKERS", 1, 1, 16),
            agent_hours=_hours(env, "AGENT_HOURS"),
            agent_idle_minutes=_float(env, "AGENT_IDLE_MINUTES", 30.0),
            agent_claim_minutes=_float(env, "AGENT_CLAIM_MINUTES", 10.0),
            log_level=_choice(env, "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
            kb_path=Path(env.get("GOVHALL_KB_PATH", "").strip() or PROJECT_ROOT / "knowledge" / "data"),
            faq_export_path=Path(env.get("FAQ_EXPORT_PATH", "").strip() or PROJECT_ROOT / "intents" / "templates" / "faq.yml"),
            model_dir=Path(env.get("MODEL_DIR", "").strip() or PROJECT_ROOT / "intents" / "models" / "versions"),
            train_config=Path(env.get("CURATION_TRAIN_CONFIG", "").strip() or PROJECT_ROOT / "intents" / "config.yml"),
            eval_test_set=Path(env.get("CURATION_TEST_SET", "").strip() or PROJECT_ROOT / "bench" / "data" / "nlu_test.yml"),
            curation_max_drop=_fraction(env, "CURATION_MAX_DROP", 0.02),
            curation_keep_models=_count(env, "CURATION_KEEP_MODELS", 5, 2, 100),
        )
