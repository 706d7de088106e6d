"""The govhall console script: staff accounts and knowledge-base import, as a curator runs them."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from aiohttp.test_utils import TestClient, TestServer

from miniprogram_api.app import create_app
from miniprogram_api.config import Settings
from tests.kb_fixture import catalogue_docs, write_catalogue

pytestmark = pytest.mark.both_databases

GOVHALL = [sys.executable, "-m", "miniprogram_api.cli"]


def run(args: list[str], database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(GOVHALL + args, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite://{tmp_path / 'cli.sqlite3'}"


async def test_staff_add_prints_a_working_token_last(database_url):
    result = run(["staff", "add", "王小明", "--role", "admin"], database_url)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    app = create_app(Settings(database_url=database_url, rasa_url="http://127.0.0.1:9"), manage_db=False)
    async with TestClient(TestServer(app)) as client:
        ok = await client.get("/admin/whoami", headers={"Authorization": f"Bearer {token}"})
        assert ok.status == 200 and (await ok.json()) == {"name": "王小明", "role": "admin"}
        bad = await client.get("/admin/whoami", headers={"Authorization": "Bearer nope"})
        assert bad.status == 401 and (await bad.json())["error"]["code"] == "unauthorized"
        missing = await client.get("/admin/whoami")
        assert missing.status == 401


def test_staff_add_refuses_a_duplicate_name_and_a_bad_role(sqlite_url):
    assert run(["staff", "add", "lee", "--role", "agent"], sqlite_url).returncode == 0
    again = run(["staff", "add", "lee", "--role", "agent"], sqlite_url)
    assert again.returncode == 2 and "exists already" in again.stderr
    bad_role = run(["staff", "add", "kim", "--role", "boss"], sqlite_url)
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr


def test_kb_import_reports_problems_and_stores_nothing(sqlite_url, tmp_path):
    root = write_catalogue(tmp_path / "kb")
    first = run(["kb", "import", str(root)], sqlite_url)
    assert first.returncode == 0, first.stderr
    assert "created: 1 bundles, 1 halls, 2 items, 1 years" in first.stdout
    again = run(["kb", "import", str(root)], sqlite_url)
    assert "no changes" in again.stdout
    docs = catalogue_docs()
    docs["items/public_security.yaml"]["items"][0]["situations"][0]["materials"][0]["form"] = "扫描件"
    write_catalogue(root, docs)
    bad = run(["kb", "import", str(root)], sqlite_url)
    assert bad.returncode == 1
    assert "public_security.yaml: GA-001: situations[0].materials[0].form" in bad.stderr
    assert "nothing was imported" in bad.stderr


def test_malformed_setting_stops_with_the_variable_named(sqlite_url):
    env = {**os.environ, "DATABASE_URL": sqlite_url, "APP_PORT": "eighty"}
    result = subprocess.run(GOVHALL + ["migrate"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode != 0 and "APP_PORT" in result.stderr
