"""Prometheus instruments: the metric objects the app and the bot record into. Recording is all a
module below the web layer needs, so the bot and the services import this module; the request-timing
middleware and `GET /metrics` are miniprogram_api/metrics.py.

With several app processes (APP_WORKERS > 1) each keeps its values in files under
PROMETHEUS_MULTIPROC_DIR (`govhall serve` makes a temporary one when unset); a scrape, answered by any
one worker, adds up every process's files. prometheus_client decides between the two modes when it is
first imported, so the variable must be set before that (the CLI sets it before forking the workers)."""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUEST_DURATION = Histogram(
    "govhall_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
RASA_REQUEST_DURATION = Histogram(
    "govhall_rasa_request_duration_seconds", "Time of each HTTP request to Rasa, by Rasa endpoint", ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0))
RASA_ERRORS = Counter(
    "govhall_rasa_errors_total", "Failed requests to Rasa: timeout, unavailable (connection), status (an HTTP error)",
    ["kind"])
WECHAT_LATE_REPLIES = Counter(
    "govhall_wechat_late_replies_total",
    "WeChat replies that missed the webhook's time budget and went out as customer-service messages")
# Set from the database at each scrape by the process that answers it; "mostrecent" so the other
# workers' older readings do not count (a sum would multiply it, a maximum would keep a stale peak).
AGENT_QUEUE_LENGTH = Gauge(
    "govhall_agent_queue_length", "Hand-offs waiting for an agent", multiprocess_mode="mostrecent")
TRAINING_RUNS = Counter("govhall_training_runs_total", "Finished curators' training runs, by outcome", ["status"])
DEPLOYMENTS = Counter("govhall_deployments_total", "Finished model deploys and roll-backs, by outcome",
                      ["action", "status"])
