"""CPU per run and per event with and without `api/hot_routes.py`, side by side in one process.

    .venv/bin/python bench/hot_routes_bench.py [--requests 2000] [--batch 100] [--admin-url postgresql://...]

On a fresh PostgreSQL database `arabesque_hot` (dropped afterwards) this builds the application twice over the
same database: as `arabesque serve` builds it, and the same without the `HotRoutes` middleware, so that FastAPI
routes every request. It calls each application directly as ASGI (no sockets, one request at a time) and
alternates between them in batches of `--batch` runs and events, so that whatever else the machine does (on this
shared 2-core VM, a lot) weighs on both columns alike. It prints CPU milliseconds per request
(`time.process_time`: every thread of the process, the database driver included) and the ratio hot ÷ routed.

This is a benchmark, not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from service_bench import ADMIN_URL, SEED, psql

DB_NAME = "arabesque_hot"
RUN = "/api/v1/external/workflows/run"

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def call(app: App, key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("127.0.0.1", 3000),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"127.0.0.1:3000"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {key}".encode()),
            (b"content-length", str(len(raw)).encode()),
        ],
    }
    messages = [{"type": "http.request", "body": raw, "more_body": False}]
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # never: the handlers read the body once
        return {}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    if answer.get("status") != 200:
        raise RuntimeError(f"{path}: {answer.get('status')} {answer['body'][:300]!r}")
    return dict(json.loads(answer["body"]))


async def measure(apps: dict[str, Any], key: str, requests: int, batch: int) -> dict[tuple[str, str], float]:
    runtimes: list[str] = []
    counter = iter(range(10**9))

    async def runs(app: App, n: int) -> None:
        for _ in range(n):
            body = json.loads(json.dumps(SEED))
            body["context"]["entity"]["id"] = f"hot-{next(counter)}"
            runtimes.append((await call(app, key, RUN, body))["workflowRuntimeId"])

    async def events(app: App, n: int) -> None:
        for _ in range(n):
            i = next(counter)
            payload = {"context": {"review": {"note": "bench event", "n": i}}}
            path = f"/api/v1/external/workflows/{runtimes[i % len(runtimes)]}/event"
            await call(app, key, path, {"name": "UPDATE_CONTEXT", "payload": payload})

    for app in apps.values():  # warm-up: caches, the pool, prepared statements
        await runs(app, batch)
        await events(app, batch)
    cpu: dict[tuple[str, str], float] = {}
    for _ in range(max(1, requests // batch)):
        for name, app in apps.items():
            for endpoint, phase in (("run", runs), ("event", events)):
                start = time.process_time()
                await phase(app, batch)
                cpu[name, endpoint] = cpu.get((name, endpoint), 0.0) + time.process_time() - start
    done = max(1, requests // batch) * batch
    return {k: v * 1000 / done for k, v in cpu.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="measured runs and events per application")
    parser.add_argument("--batch", type=int, default=100, help="requests per turn before switching application")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="libpq URL of a database to run CREATE DATABASE from")
    args = parser.parse_args()
    psql(args.admin_url, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    psql(args.admin_url, f"CREATE DATABASE {DB_NAME}")
    base = args.admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        with tempfile.TemporaryDirectory(prefix="hot-routes-") as tmp:
            os.environ.update(
                {
                    "ARABESQUE_DATABASE_URL": f"{base}/{DB_NAME}",
                    "ARABESQUE_DATA_DIR": tmp,
                    "ARABESQUE_SECRET_KEY": secrets.token_urlsafe(48),
                }
            )
            from arabesque.api.hot_routes import HotRoutes
            from arabesque.asgi import create_app
            from arabesque.cli.serve import open_service
            from arabesque.settings import read_settings

            settings = read_settings()
            service = open_service(settings)
            if service.first_start is None:
                raise RuntimeError("the fresh database has no first-start API key")
            apps = {}
            for name in ("hot", "routed"):
                app = create_app(service.db, service.files_dir, threads=settings.api_threads, access_log=False)
                if name == "routed":
                    app.user_middleware = [m for m in app.user_middleware if m.cls is not HotRoutes]
                apps[name] = app

            async def both() -> dict[tuple[str, str], float]:
                async with apps["hot"].router.lifespan_context(apps["hot"]):
                    return await measure(apps, service.first_start.api_key, args.requests, args.batch)

            figures = asyncio.run(both())
            service.db.dispose()
    finally:
        psql(args.admin_url, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    print("| endpoint | hot routes CPU ms/req | FastAPI routing CPU ms/req | hot ÷ routed |")
    print("|---|---|---|---|")
    for endpoint in ("run", "event"):
        hot, routed = figures["hot", endpoint], figures["routed", endpoint]
        print(f"| {endpoint} | {hot:.3f} | {routed:.3f} | {hot / routed:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
