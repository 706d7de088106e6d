"""Writes Rasa's endpoints.yml for this configuration: actions hosted by the app, and the tracker and
lock stores in Redis when REDIS_URL is set (else Rasa's in-memory defaults)."""
from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse

import yaml

from miniprogram_api.config import ConfigError, Settings


def endpoints(settings: Settings) -> dict:
    config: dict = {"action_endpoint": {"url": f"http://127.0.0.1:{settings.app_port}/rasa/actions"}}
    if settings.redis_url:
        url = urlparse(settings.redis_url)
        redis = {"url": url.hostname, "port": url.port or 6379, "db": int((url.path or "/0").lstrip("/") or 0)}
        if url.password:
            redis["password"] = url.password
        config["tracker_store"] = {"type": "redis", "key_prefix": "govhall_tracker", **redis}
        config["lock_store"] = {"type": "redis", "key_prefix": "govhall_lock", **redis}
    return config


def main(argv: list[str]) -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(endpoints(settings), sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
