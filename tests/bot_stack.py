"""A real bot for integration tests: the app (hosting the actions) and a Rasa server on the trained
model, as subprocesses on free ports, on a seeded PostgreSQL database of their own."""
from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "intents" / "models" / "current.tar.gz"
START_TIMEOUT = 240


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class BotStack:
    app_url: str
    rasa_url: str
    staff_token: str
    database_url: str
    rasa_token: str
    processes: list[subprocess.Popen]
    log_dir: Path
    env: dict[str, str] | None = None  # what the processes were started with (restart_rasa)

    def stop(self) -> None:
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


async def _wait_ready(url: str, ready, deadline: float, proc: subprocess.Popen, log: Path) -> None:
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{url} exited with {proc.returncode}; log: {log.read_text()[-3000:]}")
            try:
                async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as resp:
                    if resp.status == 200 and ready(await resp.json()):
                        return
            except (TimeoutError, aiohttp.ClientError, ValueError):
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError(f"{url} not ready in {START_TIMEOUT} s; log: {log.read_text()[-3000:]}")


async def start_bot_stack(database_url: str, log_dir: Path, redis_url: str | None = None,
                          extra_env: dict[str, str] | None = None, with_rasa: bool = True,
                          rasa_processes: int = 1) -> BotStack:
    """With `redis_url`, the app and Rasa's tracker and lock stores use that Redis (needed for several
    Rasa workers, `extra_env={"SANIC_WORKERS": "2"}`); without, the in-process and in-memory defaults.
    `rasa_processes` > 1 starts several Rasa servers; the app routes each conversation to one of them."""
    app_port, rasa_ports = free_port(), [free_port() for _ in range(rasa_processes)]
    rasa_port = rasa_ports[0]
    env = {**os.environ, "DATABASE_URL": database_url, "APP_PORT": str(app_port), "RASA_PORT": str(rasa_port),
           "RASA_URL": ",".join(f"http://127.0.0.1:{p}" for p in rasa_ports), "RASA_TELEMETRY_ENABLED": "false",
           # Exports from a test app (schemathesis edits FAQs) never overwrite the project's file.
           "FAQ_EXPORT_PATH": str(log_dir / "faq.yml"),
           # Models a test trains or deploys stay in the test's directory, and the project's deployed-model
           # pointer never decides what a test's Rasa serves.
           "MODEL_DIR": str(log_dir / "models"),
           # The stack runs secured as `make run` does: actions and Rasa's API need their secrets; the
           # tests log citizens in through the development login.
           "ACTIONS_TOKEN": secrets.token_urlsafe(24), "RASA_TOKEN": secrets.token_urlsafe(24), "DEV_LOGIN": "1",
           **(extra_env or {})}
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    cli = [sys.executable, "-m", "miniprogram_api.cli"]
    subprocess.run(cli + ["seed"], env=env, check=True, capture_output=True, timeout=300)
    added = subprocess.run(cli + ["staff", "add", "试句子的馆员", "--role", "curator"], env=env, check=True,
                           capture_output=True, text=True, timeout=120)
    token = added.stdout.strip().splitlines()[-1]
    app_log, rasa_log = log_dir / "app.log", log_dir / "rasa.log"
    app = subprocess.Popen(cli + ["serve"], env=env, cwd=ROOT, stdout=app_log.open("w"), stderr=subprocess.STDOUT)
    processes = [app]
    if with_rasa:
        for n, port in enumerate(rasa_ports):
            log = rasa_log if n == 0 else log_dir / f"rasa-{n}.log"
            processes.append(subprocess.Popen(["bash", "scripts/rasa_serve.sh"], env={**env, "RASA_PORT": str(port)},
                                              cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT))
    stack = BotStack(f"http://127.0.0.1:{app_port}", env["RASA_URL"], token, database_url, env["RASA_TOKEN"],
                     processes, log_dir, env)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        await _wait_ready(f"{stack.app_url}/healthz", lambda body: body["database"]["ok"], deadline, app, app_log)
        if with_rasa:
            for n, port in enumerate(rasa_ports):
                await _wait_ready(f"http://127.0.0.1:{port}/status?token={stack.rasa_token}", lambda body: bool(body.get("model_file")),
                                  deadline, processes[1 + n], rasa_log if n == 0 else log_dir / f"rasa-{n}.log")
    except Exception:
        stack.stop()
        raise
    return stack


async def restart_rasa(stack: BotStack, n: int) -> None:
    """Starts the `n`th Rasa process (0-based) again on its port, after a test killed it; returns when it
    serves its model."""
    url = stack.rasa_url.split(",")[n]
    port = url.rsplit(":", 1)[1]
    log = stack.log_dir / f"rasa-{n}-restarted.log"
    proc = subprocess.Popen(["bash", "scripts/rasa_serve.sh"], env={**stack.env, "RASA_PORT": port}, cwd=ROOT,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    stack.processes[1 + n] = proc
    await _wait_ready(f"{url}/status?token={stack.rasa_token}", lambda body: bool(body.get("model_file")),
                      time.monotonic() + START_TIMEOUT, proc, log)


def add_staff(stack: BotStack, name: str, role: str) -> dict[str, str]:
    """A staff account in the stack's database; returns its Authorization header."""
    env = {**os.environ, "DATABASE_URL": stack.database_url}
    out = subprocess.run([sys.executable, "-m", "miniprogram_api.cli", "staff", "add", name, "--role", role],
                         env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=120)
    return {"Authorization": "Bearer " + out.stdout.strip().splitlines()[-1]}


async def waiting_handoff(stack: BotStack, channel: str, user_id: str) -> int | None:
    """The citizen's waiting hand-off, from the stack's database (the console lists no citizen ids)."""
    import asyncpg

    conn = await asyncpg.connect(stack.database_url.replace("postgres://", "postgresql://", 1))
    try:
        return await conn.fetchval("SELECT h.id FROM handoff h JOIN conversation c ON c.id = h.conversation_id "
                                   "WHERE c.channel = $1 AND c.user_id = $2 AND h.status = 'waiting' "
                                   "ORDER BY h.id DESC", channel, user_id)
    finally:
        await conn.close()
