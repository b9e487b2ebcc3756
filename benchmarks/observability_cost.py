"""The CPU cost of observability on the hot path: CPU µs per request with and without
metrics and JSON logs, and with tracing on.

Usage: uv run python benchmarks/observability_cost.py [--requests N] [--rounds N] [--keep]

Bakes `database=postgresql use_opentelemetry=yes` from the working tree and `uv sync`s it.
Then, per mode and round, a fresh process of the project's own Python imports the
application as the image configures it (settings from the environment, metrics in
multiprocess mode as under `serve`, logs to /dev/null), runs its lifespan, and calls it
as an ASGI server would, from 8 concurrent tasks: GET /users/{id} on seeded users, then
POST /users with new emails. A figure is the process's CPU time (`time.process_time()`,
every thread, the span exporter's included) over N requests after a warm-up; the HTTP
server's own parsing is left out, so the shares are of the application's CPU, an upper
bound of their share in a served request. Modes take turns within each round, and each
keeps its median round, against the noise of a shared machine.

Modes: `none` (no metrics, the text access line: the service before), `metrics`, `json`,
`metrics+json` (the image's configuration), `+tracing` (the last, each span exported over
OTLP/HTTP, by the SDK's batch processor, to a sink in this process that answers 200) and
`+tracing 1/10` (one trace in ten sampled, OTEL_TRACES_SAMPLER=parentbased_traceidratio).

Then, with less noise, what the access-log middleware alone costs per request around an
endpoint that does nothing: without metrics and with the text line, against with metrics
(in multiprocess mode) and the JSON line; best of 5 runs of 20,000 calls each.

Needs the PostgreSQL server at BENCH_POSTGRES_URL; uses the database
`bench_observability` there (created if missing).
"""

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchlib import BENCH_DIR, TEMPLATE, clean_env, database_url, log, run, template_revision

DATABASE = "bench_observability"
USERS = 1000
TASKS = 8
MODES = {
    "none": {"METRICS_ENABLED": "false", "LOG_FORMAT": "text"},
    "metrics": {"METRICS_ENABLED": "true", "LOG_FORMAT": "text"},
    "json": {"METRICS_ENABLED": "false", "LOG_FORMAT": "json"},
    "metrics+json": {"METRICS_ENABLED": "true", "LOG_FORMAT": "json"},
    "+tracing": {"METRICS_ENABLED": "true", "LOG_FORMAT": "json", "TRACING": "1"},
    "+tracing 1/10": {
        "METRICS_ENABLED": "true",
        "LOG_FORMAT": "json",
        "TRACING": "1",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
    },
}
ENDPOINTS = ("get_by_id", "create")
CREATE_DATABASE = """
import asyncio, sys
import asyncpg

async def main(dsn: str, name: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()

asyncio.run(main(*sys.argv[1:]))
"""
# Runs in the project's environment: python -c DRIVER REQUESTS SEED TAG USERS TASKS
DRIVER = r"""
import asyncio, json, sys, time

from asgi_driver import call, drive
from my_service.main import app

REQUESTS, SEED, USERS, TASKS = map(int, (sys.argv[1], sys.argv[2], *sys.argv[4:]))
TAG = sys.argv[3]


def get(n):
    return call(app, "GET", f"/users/{n % USERS + 1}")


def post(n):
    body = json.dumps({"email": f"u{n}-{TAG}@example.com", "name": "Bench"}).encode()
    return call(app, "POST", "/users", body)


async def main():
    async with app.router.lifespan_context(app):
        if SEED:
            for n in range(USERS):
                body = json.dumps({"email": f"seed{n}@example.com", "name": "Seed"}).encode()
                assert await call(app, "POST", "/users", body) in (201, 409)
            return
        figures = {}
        for name, request in (("get_by_id", get), ("create", post)):
            await drive(request, 0, REQUESTS // 5, TASKS)  # warm-up
            before = time.process_time()
            await drive(request, REQUESTS, REQUESTS, TASKS)
            figures[name] = (time.process_time() - before) / REQUESTS * 1e6
        print("FIGURES " + json.dumps(figures), flush=True)


asyncio.run(main())
"""

# Runs in the project's environment, metrics in multiprocess mode: python -c PIECES CALLS
PIECES = r"""
import asyncio, json, logging, os, sys, time

from my_service import logs
from my_service.middleware import RequestLogMiddleware

CALLS = int(sys.argv[1])


class Route:
    path = "/users/{user_id}"


async def endpoint(scope, receive, send):
    scope["route"] = Route
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def nothing():
    return {"type": "http.request", "body": b"", "more_body": False}


async def sent(message):
    pass


async def run(app):
    scope = {"type": "http", "method": "GET", "path": "/users/7", "headers": []}
    before = time.process_time()
    for _ in range(CALLS):
        await app(dict(scope), nothing, sent)
    return (time.process_time() - before) / CALLS * 1e6


async def main():
    logs.configure_logging("INFO", "text")
    (handler,) = [h for h in logs.logger.handlers if h.get_name() == logs.HANDLER]
    handler.setStream(open(os.devnull, "w"))
    variants = {"none": (False, "text"), "metrics+json": (True, "json")}
    best = {}
    for _ in range(5):
        for name, (count, log_format) in variants.items():
            handler.setFormatter(logs.formatter(log_format))
            figure = await run(RequestLogMiddleware(endpoint, count=count))
            best[name] = min(best.get(name, figure), figure)
    print("PIECES " + json.dumps(best), flush=True)


asyncio.run(main())
"""


class Sink(BaseHTTPRequestHandler):
    """An OTLP/HTTP collector that takes every export and keeps nothing."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def bake(work: Path) -> Path:
    run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "--default-config", "-o", str(work),
         str(TEMPLATE), "database=postgresql", "use_opentelemetry=yes"]
    )  # fmt: skip
    project = work / "my-service"
    run(["uv", "sync", "--quiet", "--no-dev"], cwd=project)
    admin = database_url("postgres").replace("postgresql+asyncpg", "postgresql")
    run([str(python(project)), "-c", CREATE_DATABASE, admin, DATABASE], cwd=project)
    return project


def python(project: Path) -> Path:
    return project / ".venv" / "bin" / "python"


def drive(project: Path, mode: str, requests: int, sink_port: int, tag: str, seed: bool) -> dict:
    """One fresh process of the application in `mode`: its CPU µs per request."""
    settings = dict(MODES[mode])
    metrics = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    env = clean_env(
        DATABASE_URL=database_url(DATABASE),
        LOG_LEVEL="INFO",
        PROMETHEUS_MULTIPROC_DIR=str(metrics),
        PYTHONPATH=str(BENCH_DIR),  # asgi_driver
    )
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    if settings.pop("TRACING", None):
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{sink_port}"
    env.update(settings)
    try:
        args = [str(python(project)), "-c", DRIVER, str(requests), str(int(seed)), tag]
        args += [str(USERS), str(TASKS)]
        output = run(args, cwd=project, env=env)  # its log lines go to a pipe, as in a container
    finally:
        shutil.rmtree(metrics, ignore_errors=True)
    if seed:
        return {}
    line = next(line for line in output.splitlines() if line.startswith("FIGURES "))
    figures: dict[str, float] = json.loads(line.removeprefix("FIGURES "))
    return figures


def pieces(project: Path) -> dict[str, float]:
    """The access-log middleware alone: µs per call without and with metrics + JSON."""
    metrics = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    try:
        env = clean_env(DATABASE_URL=database_url(DATABASE), PROMETHEUS_MULTIPROC_DIR=str(metrics))
        output = run([str(python(project)), "-c", PIECES, "20000"], cwd=project, env=env)
    finally:
        shutil.rmtree(metrics, ignore_errors=True)
    line = next(line for line in output.splitlines() if line.startswith("PIECES "))
    figures: dict[str, float] = json.loads(line.removeprefix("PIECES "))
    return figures


def measure(project: Path, requests: int, rounds: int, sink_port: int) -> dict[str, dict]:
    drive(project, "none", requests, sink_port, "seed", seed=True)
    figures: dict[str, dict[str, list[float]]] = {m: {e: [] for e in ENDPOINTS} for m in MODES}
    order = list(MODES)
    for round_ in range(rounds):
        for mode in order[round_ % len(order) :] + order[: round_ % len(order)]:
            tag = uuid.uuid4().hex
            result = drive(project, mode, requests, sink_port, tag, seed=False)
            for endpoint in ENDPOINTS:
                figures[mode][endpoint].append(result[endpoint])
            log(f"round {round_ + 1} {mode:>14}: " + ", ".join(
                f"{e} {result[e]:6.1f} µs" for e in ENDPOINTS))  # fmt: skip
    return {m: {e: statistics.median(v) for e, v in by.items()} for m, by in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the baked project")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="observability-cost-"))
    sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        log(f"baking and installing into {work}")
        project = bake(work)
        medians = measure(project, args.requests, args.rounds, sink.server_address[1])
        middleware = pieces(project)
    finally:
        sink.shutdown()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    base = medians["none"]
    print(f"template {template_revision()}: application CPU µs per request, median of "
          f"{args.rounds} rounds of {args.requests} requests from {TASKS} tasks")  # fmt: skip
    print(f"{'mode':>14} " + " ".join(f"{e:>20}" for e in ENDPOINTS))
    for mode, by in medians.items():
        cells = [f"{by[e]:8.1f} ({by[e] / base[e] - 1:+6.1%})" for e in ENDPOINTS]
        print(f"{mode:>14} " + " ".join(f"{c:>20}" for c in cells))
    added = middleware["metrics+json"] - middleware["none"]
    print(
        f"access-log middleware alone: {middleware['none']:.1f} µs without metrics (text line), "
        f"{middleware['metrics+json']:.1f} µs with metrics and the JSON line: {added:+.1f} µs, "
        f"{added / base['get_by_id']:+.1%} of a GET by id, {added / base['create']:+.1%} of a POST"
    )
    summary = {m: {e: round(v, 1) for e, v in by.items()} for m, by in medians.items()}
    summary["middleware"] = {k: round(v, 2) for k, v in middleware.items()}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
