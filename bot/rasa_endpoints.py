"""Writes Rasa's endpoints.yml for this configuration: actions hosted by the app; the tracker store in
Redis (bot/rasa_tracker_store.py) when REDIS_URL is set, so conversations keep their state when a
curator deploys a new model (Rasa's `PUT /model` builds a fresh agent, and with it a fresh in-memory
tracker store) or Rasa restarts; the lock store in Redis only when one Rasa runs several Sanic workers
(SANIC_WORKERS > 1): Rasa's Redis lock store polls, which costs hundreds of milliseconds a message, and
the app already holds a per-citizen lock. Rasa sends ACTIONS_TOKEN with every action call; the file
holds that secret, so it is readable by its owner only."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

import yaml

from miniprogram_api.config import ConfigError, Settings
from miniprogram_api.digits import plain_digits


def endpoints(settings: Settings, sanic_workers: int = 1) -> dict:
    # Selective domain: Rasa sends its whole domain (every FAQ answer included) with each action call
    # unless told not to; only the form validators read it (`send_domain` in intents/domain/core.yml).
    config: dict = {"action_endpoint": {"url": f"http://127.0.0.1:{settings.app_port}/rasa/actions",
                                        "enable_selective_domain": True}}
    if settings.actions_token:
        config["action_endpoint"]["headers"] = {"Authorization": f"Bearer {settings.actions_token}"}
    if settings.redis_url:
        url = urlparse(settings.redis_url)
        redis = {"url": url.hostname, "port": url.port or 6379, "db": int((url.path or "/0").lstrip("/") or 0)}
        if url.password:
            redis["password"] = url.password
        config["tracker_store"] = {"type": "bot.rasa_tracker_store.WholeTrackerRedisStore",
                                   "key_prefix": "govhalltracker", **redis}
        if sanic_workers > 1:
            config["lock_store"] = {"type": "redis", "key_prefix": "govhalllock", **redis}
    else:  # Rasa's own in-memory store, keeping the current part of each conversation only
        config["tracker_store"] = {"type": "bot.rasa_tracker_store.CurrentSessionInMemoryStore"}
    return config


def main(argv: list[str]) -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    workers = os.environ.get("SANIC_WORKERS", "1").strip()
    out.touch(mode=0o600)
    out.chmod(0o600)
    out.write_text(yaml.safe_dump(endpoints(settings, int(workers) if plain_digits(workers) else 1), sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
