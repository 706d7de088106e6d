"""GET /metrics: Prometheus text with route templates (never raw ids), only for this machine or the
METRICS_TOKEN bearer, and the values of several worker processes added up in multiprocess mode."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from prometheus_client.parser import text_string_to_metric_families

from miniprogram_api.app import create_app
from miniprogram_api.config import Settings
from miniprogram_api.metrics import may_scrape
from tests.api_helpers import expect_error

TOKEN = "metrics-token-0123456789"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


async def test_metrics_name_routes_by_their_template(api):
    await api.get("/api/v1/appointments/424242")  # 401 without a session: still timed, by its route
    await api.get("/no/such/page/777")
    resp = await api.get("/metrics")
    assert resp.status == 200
    assert resp.content_type == "text/plain"
    found = families(await resp.text())
    samples = found["govhall_http_request_duration_seconds"].samples
    routes = {s.labels["route"] for s in samples if "route" in s.labels}
    assert "/api/v1/appointments/{id}" in routes
    assert "unmatched" in routes
    assert not any("424242" in r or "777" in r for r in routes), routes
    counted = [s for s in samples if s.name.endswith("_count") and s.labels["route"] == "/api/v1/appointments/{id}"
               and s.labels["method"] == "GET" and s.labels["status"] == "401"]
    assert counted and counted[0].value >= 1
    for name in ("govhall_rasa_request_duration_seconds", "govhall_rasa_errors", "govhall_wechat_late_replies",
                 "govhall_agent_queue_length", "govhall_training_runs", "govhall_deployments"):
        assert name in found, name
    assert found["govhall_agent_queue_length"].samples[0].value == 0  # nobody waits in the seeded database


def _request(remote: str, headers: dict[str, str] | None = None):
    return make_mocked_request("GET", "/metrics", headers=headers or {}).clone(remote=remote)


def test_only_this_machine_or_the_token_may_scrape():
    assert may_scrape(_request("127.0.0.1"), "")
    assert may_scrape(_request("::1"), "")
    assert not may_scrape(_request("203.0.113.9"), "")
    assert not may_scrape(_request("203.0.113.9", {"Authorization": "Bearer wrong-token-000000000"}), TOKEN)
    assert not may_scrape(_request("203.0.113.9", {"Authorization": f"Basic {TOKEN}"}), TOKEN)
    assert may_scrape(_request("203.0.113.9", {"Authorization": f"Bearer {TOKEN}"}), TOKEN)
    # Without a token configured, no bearer value opens it (an empty one least of all).
    assert not may_scrape(_request("203.0.113.9", {"Authorization": "Bearer "}), "")
    # A reverse proxy on this machine connects from 127.0.0.1 on behalf of someone else.
    assert not may_scrape(_request("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}), TOKEN)


async def test_a_forwarded_request_needs_the_token(database_url, redis_url):
    settings = Settings(database_url=database_url, redis_url=redis_url, rasa_url="http://127.0.0.1:9",
                        metrics_token=TOKEN)
    async with TestClient(TestServer(create_app(settings, manage_db=False, housekeeping_loop=False))) as client:
        outside = {"X-Forwarded-For": "203.0.113.9"}
        for auth in ({}, {"Authorization": "Bearer wrong-token-000000000"}):
            await expect_error(await client.get("/metrics", headers={**outside, **auth}), 403, "forbidden")
        ok = await client.get("/metrics", headers={**outside, "Authorization": f"Bearer {TOKEN}"})
        assert ok.status == 200 and ok.content_type == "text/plain"
        assert "govhall_http_request_duration_seconds" in families(await ok.text())


def test_metrics_token_is_read_from_the_environment():
    assert Settings.from_env({"METRICS_TOKEN": TOKEN}).metrics_token == TOKEN
    assert Settings.from_env({}).metrics_token == ""


def _python(code: str, multiproc_dir) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir)}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_workers_values_are_added_up_in_multiprocess_mode(tmp_path):
    # Two worker processes record; a third (any worker answering a scrape) reads them all.
    for queue in (5, 2):
        _python(f"""
            from miniprogram_api import instruments
            instruments.WECHAT_LATE_REPLIES.inc()
            instruments.TRAINING_RUNS.labels("succeeded").inc(2)
            instruments.HTTP_REQUEST_DURATION.labels("GET", "/healthz", "200").observe(0.01)
            instruments.AGENT_QUEUE_LENGTH.set({queue})
        """, tmp_path)
    found = families(_python("""
        import sys
        from miniprogram_api import metrics
        sys.stdout.write(metrics.scrape().decode())
    """, tmp_path))

    def value(family: str, sample: str, **labels) -> float:
        return next(s.value for s in found[family].samples if s.name == sample and s.labels == labels)

    assert value("govhall_wechat_late_replies", "govhall_wechat_late_replies_total") == 2
    assert value("govhall_training_runs", "govhall_training_runs_total", status="succeeded") == 4
    assert value("govhall_http_request_duration_seconds", "govhall_http_request_duration_seconds_count",
                 method="GET", route="/healthz", status="200") == 2
    assert value("govhall_agent_queue_length", "govhall_agent_queue_length") == 2  # the latest reading, not a sum
