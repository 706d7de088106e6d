"""`govhall`: the console script of the app environment."""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from miniprogram_api.config import ConfigError, Settings
from miniprogram_api.models.staff import ROLES


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        sys.exit(f"govhall: configuration error: {exc}")


async def _with_db(settings: Settings, work):
    from miniprogram_api.db import close_db, init_db, migrate_database

    await migrate_database(settings.database_url)
    await init_db(settings.database_url)
    try:
        return await work()
    finally:
        await close_db()


def cmd_migrate(args, settings: Settings) -> int:
    async def nothing():
        return None

    asyncio.run(_with_db(settings, nothing))
    print("database is up to date")
    return 0


def cmd_staff_add(args, settings: Settings) -> int:
    from miniprogram_api.services.staff import StaffError, add_staff

    async def work():
        return await add_staff(args.name, args.role)

    try:
        account, token = asyncio.run(_with_db(settings, work))
    except StaffError as exc:
        print(f"govhall staff add: {exc}", file=sys.stderr)
        return 2
    print(f"created staff account {account.name} (role {account.role}); its bearer token, shown only now:")
    print(token)
    return 0


def _print_summary(summary) -> None:
    def fmt(counts: dict[str, int]) -> str:
        return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "nothing"

    print(f"created: {fmt(summary.created)}; updated: {fmt(summary.updated)}; unchanged: {fmt(summary.unchanged)}")
    print(f"revision {summary.revision}" if summary.changed else "no changes")


def _run_import(settings: Settings, command: str, work) -> int:
    """An all-or-nothing import: every problem listed (file, code, field) and nothing stored, or the summary."""
    from knowledge.loader import CatalogueInvalid

    try:
        summary = asyncio.run(_with_db(settings, work))
    except CatalogueInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"govhall {command}: {len(exc.problems)} problem(s); nothing was imported", file=sys.stderr)
        return 1
    _print_summary(summary)
    return 0


def cmd_kb_import(args, settings: Settings) -> int:
    from knowledge.store import import_path

    async def work():
        return await import_path(Path(args.path))

    return _run_import(settings, "kb import", work)


def cmd_kb_import_guide(args, settings: Settings) -> int:
    """A city's 办事指南 export (CSV or JSON, the national catalogue's columns), as items; all or nothing."""
    from knowledge.guide_import import import_guide, read_category_map

    category_map = []
    if args.department_category_map:
        try:
            category_map = read_category_map(Path(args.department_category_map))
        except ValueError as exc:
            print(f"govhall kb import-guide: {args.department_category_map}: {exc}", file=sys.stderr)
            return 2

    async def work():
        return await import_guide(Path(args.path), category_map)

    return _run_import(settings, "kb import-guide", work)


def cmd_kb_validate(args, settings: Settings) -> int:
    from knowledge.validate import main as validate

    return validate([args.path])


def cmd_seed(args, settings: Settings) -> int:
    """Demo data on first start: the catalogue, halls and calendar (idempotent, so safe every start)."""
    from bot.faq import seed as seed_faq
    from knowledge.models import Item
    from knowledge.store import import_path

    async def work():
        faq = await seed_faq()  # the curated FAQ starts from the committed export
        if await Item.exists() and not args.force:
            return None, faq
        return await import_path(settings.kb_path), faq

    summary, faq = asyncio.run(_with_db(settings, work))
    if summary is None:
        print("knowledge base already seeded")
    else:
        _print_summary(summary)
    if faq:
        print(f"FAQ: {faq} entries from intents/templates/faq.yml")
    return 0


def _serve_one(settings: Settings, reuse_port: bool) -> None:
    import uvloop
    from aiohttp import web

    from miniprogram_api.access_log import RedactingAccessLogger
    from miniprogram_api.app import create_app
    from miniprogram_api.logging import configure_logging

    configure_logging(settings.log_level)
    # uvloop: the app is bound by socket I/O (clients, PostgreSQL, Redis, Rasa); its loop does that cheaper.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web.run_app(create_app(settings), host=settings.app_host, port=settings.app_port, print=None,
                reuse_port=reuse_port or None, access_log_class=RedactingAccessLogger)


def _metrics_dir() -> None:
    """Several workers keep their metrics in files that a scrape adds up (miniprogram_api/instruments.py): in
    PROMETHEUS_MULTIPROC_DIR if set, else a fresh directory removed at exit. Set before the workers fork and
    before prometheus_client is imported, which chooses its mode on import."""
    import atexit
    import os
    import shutil
    import tempfile

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    path, owner = tempfile.mkdtemp(prefix="govhall-metrics-"), os.getpid()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(path, ignore_errors=True))


def cmd_serve(args, settings: Settings) -> int:
    workers = args.workers or settings.app_workers
    if workers == 1:
        _serve_one(settings, reuse_port=False)
        return 0
    if not settings.redis_url:
        print("APP_WORKERS > 1 needs REDIS_URL: sessions, locks and caches must be shared between workers",
              file=sys.stderr)
        return 2
    import multiprocessing
    import multiprocessing.connection
    import signal
    import time

    _metrics_dir()
    from prometheus_client import multiprocess

    # Several processes on one port (SO_REUSEPORT): the kernel spreads connections between them. A worker
    # that dies is replaced: meanwhile the kernel gives its connections to the others, and WeChat's retries
    # of what it was answering reach them (the turn cache and the per-citizen lock are in Redis).
    context = multiprocessing.get_context("fork")

    def start():
        worker = context.Process(target=_serve_one, args=(settings, True), daemon=False)
        worker.start()
        return worker

    procs = [start() for _ in range(workers)]
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True
        for p in procs:
            if p.is_alive():
                p.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    handled: set[int] = set()
    while True:
        running = [p for p in procs if p.pid not in handled]
        if stopping and not any(p.is_alive() for p in running):
            break
        multiprocessing.connection.wait([p.sentinel for p in running], timeout=1.0)
        for n, p in enumerate(procs):
            if p.pid in handled or p.is_alive():
                continue
            p.join()
            handled.add(p.pid)
            multiprocess.mark_process_dead(p.pid)
            if not stopping:
                print(f"worker {p.pid} ended ({p.exitcode}); starting another", file=sys.stderr, flush=True)
                time.sleep(1.0)  # a worker that cannot start (say, no database) is not restarted in a tight loop
                procs[n] = start()
    return 0


def cmd_chat(args, settings: Settings) -> int:
    """Talk to the bot as a citizen would, through the same conversation service as the channels."""
    import aiohttp

    from bot.conversation import ConversationService
    from bot.rasa_client import RasaClient
    from miniprogram_api.logging import configure_logging
    from miniprogram_api.redis_client import make_redis

    configure_logging("WARNING")  # the conversation is on stdout; only problems go to stderr

    async def work():
        redis = make_redis(settings.redis_url)
        async with aiohttp.ClientSession() as http:
            service = ConversationService(RasaClient(settings.rasa_url, http, budget=settings.rasa_timeout,
                                                           token=settings.rasa_token), redis)
            print("和云溪政务服务助手对话（输入 exit 或按 Ctrl-D 结束）", flush=True)
            loop = asyncio.get_running_loop()
            while True:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if not line or line.strip() in ("exit", "quit"):
                    break
                if not line.strip():
                    continue
                turn = await service.handle("terminal", args.user, line.strip())
                for reply in turn.replies:
                    print(f"助手: {reply}", flush=True)
                for event in turn.events:
                    print(f"[event] {event}", flush=True)
        await redis.aclose()

    asyncio.run(_with_db(settings, work))
    return 0


def cmd_wechat_menu(args, settings: Settings) -> int:
    """Publish the official account's custom menu (replaces the current one)."""
    import json

    import aiohttp

    from bot.wechat.menu import DEFAULT_VIEW_URL, menu
    from miniprogram_api.redis_client import make_redis
    from miniprogram_api.wechat_api import WeChatApi, WeChatError

    if not (settings.wechat_app_id and settings.wechat_app_secret):
        print("govhall wechat menu: set WECHAT_APP_ID and WECHAT_APP_SECRET", file=sys.stderr)
        return 2
    body = menu(args.view_url or DEFAULT_VIEW_URL)

    async def work():
        redis = make_redis(settings.redis_url)  # the shared token cache, so the app's token stays valid
        try:
            async with aiohttp.ClientSession() as http:
                api = WeChatApi(settings.wechat_api_base, settings.wechat_app_id, settings.wechat_app_secret, http, redis)
                await api.create_menu(body)
        finally:
            await redis.aclose()

    try:
        asyncio.run(work())
    except WeChatError as exc:
        print(f"govhall wechat menu: WeChat refused: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(body, ensure_ascii=False, indent=2))
    print("menu published")
    return 0


def cmd_wechat_simulate(args, settings: Settings) -> int:
    """Send a text message to a running app's /wechat as WeChat would, and print the reply."""
    import secrets

    import aiohttp

    from bot.wechat.simulate import Signer, post, text_xml

    if not settings.wechat_token:
        print("govhall wechat simulate: set WECHAT_TOKEN to the app's (make run uses govhall-dev-token)", file=sys.stderr)
        return 2
    if args.aes and not (settings.wechat_aes_key and settings.wechat_app_id):
        print("govhall wechat simulate: --aes needs WECHAT_AES_KEY and WECHAT_APP_ID, the same as the app's",
              file=sys.stderr)
        return 2
    signer = Signer(settings.wechat_token, settings.wechat_app_id, settings.wechat_aes_key if args.aes else "")
    xml = text_xml(args.openid, args.text, secrets.randbelow(10**18))
    url = (args.url or f"http://{settings.app_host}:{settings.app_port}").rstrip("/")

    async def work():
        async with aiohttp.ClientSession() as http:
            return await post(http, url + "/wechat", signer, xml, args.openid)

    try:
        status, body = asyncio.run(work())
    except (aiohttp.ClientError, TimeoutError) as exc:
        print(f"govhall wechat simulate: cannot reach {url}: {exc!r}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"govhall wechat simulate: the app answered HTTP {status}: {body[:200]}", file=sys.stderr)
        return 1
    try:
        reply = signer.open_reply(body)
    except Exception as exc:  # a reply we cannot verify or decrypt is a failure of the app under test
        print(f"govhall wechat simulate: cannot open the reply ({type(exc).__name__}): {body[:200]}", file=sys.stderr)
        return 1
    if reply is None:
        print("(success: the answer was not ready within WECHAT_REPLY_BUDGET; it goes out as a customer-service message)")
    else:
        print(reply)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govhall", description="govhall backend: 政务服务中心 WeChat bot and API")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    serve = sub.add_parser("serve", help="serve the app on APP_HOST:APP_PORT")
    serve.add_argument("--workers", type=int, default=0, help="processes sharing the port (default APP_WORKERS, 1)")
    serve.set_defaults(func=cmd_serve)
    seed = sub.add_parser("seed", help="import the demo knowledge base when the database has none")
    seed.add_argument("--force", action="store_true", help="import even when items exist (still idempotent)")
    seed.set_defaults(func=cmd_seed)

    staff = sub.add_parser("staff", help="staff accounts").add_subparsers(dest="staff_command", required=True)
    add = staff.add_parser("add", help="create a staff account; prints its token as the last line")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.set_defaults(func=cmd_staff_add)

    chat = sub.add_parser("chat", help="chat with the bot in the terminal (needs Rasa running)")
    chat.add_argument("--user", default="terminal-user", help="conversation id (default: terminal-user)")
    chat.set_defaults(func=cmd_chat)

    wechat = sub.add_parser("wechat", help="the official account").add_subparsers(dest="wechat_command", required=True)
    wmenu = wechat.add_parser("menu", help="publish the custom menu (WECHAT_APP_ID, WECHAT_APP_SECRET)")
    wmenu.add_argument("--view-url", default=None, help="the page of the 网上办事 button")
    wmenu.set_defaults(func=cmd_wechat_menu)
    wsim = wechat.add_parser("simulate", help="post a signed text message to a running app's /wechat, print the reply")
    wsim.add_argument("text")
    wsim.add_argument("--aes", action="store_true", help="safe mode: encrypt with WECHAT_AES_KEY")
    wsim.add_argument("--url", default=None, help="the app (default http://APP_HOST:APP_PORT)")
    wsim.add_argument("--openid", default="o-simulated-citizen", help="the sender (FromUserName)")
    wsim.set_defaults(func=cmd_wechat_simulate)

    kb = sub.add_parser("kb", help="the item knowledge base (办事指南)").add_subparsers(dest="kb_command", required=True)
    imp = kb.add_parser("import", help="validate and import data files (a file or a directory)")
    imp.add_argument("path")
    imp.set_defaults(func=cmd_kb_import)
    guide = kb.add_parser("import-guide", help="import a 办事指南 export (.csv or .json, one item a row); all or nothing")
    guide.add_argument("path")
    guide.add_argument("--department-category-map", metavar="FILE", default=None,
                       help="YAML or JSON mapping 实施主体 keyword to window category, tried before the built-in keywords")
    guide.set_defaults(func=cmd_kb_import_guide)
    val = kb.add_parser("validate", help="validate data files without importing")
    val.add_argument("path")
    val.set_defaults(func=cmd_kb_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args, _settings())


if __name__ == "__main__":
    sys.exit(main())
