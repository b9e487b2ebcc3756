"""Instructions per request of the generated PostgreSQL app, counted by valgrind: a figure
that repeats to about 1%, where CPU time on a shared machine moves by 10% between runs.

Usage: uv run python benchmarks/instructions.py [--requests N] [--keep]
                                                [--endpoints probe,get_by_id,...]

Bakes `database=postgresql use_alembic=no` from the working tree, `uv sync`s it and
seeds the database `bench_instructions` (on BENCH_POSTGRES_URL's server) with 10,000
users and their items. Then, per endpoint, one process of the project's Python runs
under `valgrind --tool=callgrind --instr-atstart=no`: it imports the application, runs
its lifespan and calls it as an ASGI server would from 32 tasks, first a warm-up, then
N requests (default 200) with the instrumentation switched on (`callgrind_control -i
on`), so that neither start-up nor the warm-up is counted. The HTTP server's own parsing
is not in these figures. The access line is written (LOG_LEVEL=INFO, to a pipe) and the
request metrics are on, as in the image.

Endpoints (`--endpoints`, comma-separated; all by default): the probe `GET /health/live`
(the stack around a route that does nothing), `get_by_id`, `create`, `patch` and
`list_page`, as `bench_http.py` drives them. A request that fails stops the count.

Needs valgrind (`apt-get install -y valgrind`).
"""

import argparse
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from benchlib import BENCH_DIR, bake, clean_env, database_url, log, run, template_revision

DATABASE = "bench_instructions"
USERS = 10_000
TASKS = 32
ENDPOINTS = ("probe", "get_by_id", "create", "patch", "list_page")

# Runs in the project's environment: python -c DRIVER ENDPOINT REQUESTS USERS TASKS
DRIVER = r"""
import json, os, subprocess, sys

import uvloop

from asgi_driver import call, drive
from my_service.main import app

ENDPOINT = sys.argv[1]
REQUESTS, USERS, TASKS = map(int, sys.argv[2:])


def request(n):
    user = n % USERS + 1
    if ENDPOINT == "probe":
        return call(app, "GET", "/health/live")
    if ENDPOINT == "get_by_id":
        return call(app, "GET", f"/users/{user}")
    if ENDPOINT == "list_page":
        return call(app, "GET", "/users", query=b"limit=50")
    if ENDPOINT == "create":
        body = {"email": f"count-{os.getpid()}-{n}@example.com", "name": f"Count {n}"}
        return call(app, "POST", "/users", json.dumps(body).encode())
    return call(app, "PATCH", f"/users/{user}", json.dumps({"name": f"Name {n}"}).encode())


def instrumentation(state):
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())],
                   check=True, capture_output=True)


async def main():
    async with app.router.lifespan_context(app):
        warm_up = max(REQUESTS // 2, TASKS)
        await drive(request, 0, warm_up, TASKS)
        instrumentation("on")
        await drive(request, warm_up, REQUESTS, TASKS)
        instrumentation("off")


uvloop.run(main())
"""


def count(project: Path, endpoint: str, requests: int, out: Path) -> float:
    """Thousands of instructions per request of `endpoint`."""
    # Under valgrind a request takes 50 times as long: the default wait for a pooled
    # connection (5 s) would end in 503s once 32 tasks share 10 connections.
    env = clean_env(
        DATABASE_URL=database_url(DATABASE),
        LOG_LEVEL="INFO",
        DATABASE_POOL_TIMEOUT="300",
        PYTHONPATH=str(BENCH_DIR),  # asgi_driver
    )
    python = project / ".venv" / "bin" / "python"
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no",
         f"--callgrind-out-file={out}", str(python), "-c", DRIVER,
         endpoint, str(requests), str(USERS), str(TASKS)],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    collected = re.findall(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not collected:
        raise RuntimeError(f"{endpoint}: valgrind exited {result.returncode}\n{result.stderr}")
    return int(collected[-1]) / requests / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="counted, per endpoint")
    parser.add_argument("--keep", action="store_true", help="keep the baked project")
    parser.add_argument(
        "--endpoints", default=",".join(ENDPOINTS), help=f"some of {', '.join(ENDPOINTS)}"
    )
    args = parser.parse_args()
    endpoints = args.endpoints.split(",")
    if unknown := set(endpoints) - set(ENDPOINTS):
        parser.error(f"unknown endpoints: {', '.join(sorted(unknown))}")
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        raise SystemExit("valgrind is not installed: apt-get install -y valgrind")

    work = Path(tempfile.mkdtemp(prefix="bench-instructions-"))
    try:
        project = bake(work / "bake", "postgresql", use_alembic=False)
        log(f"baked {project}; installing it")
        run(["uv", "sync", "--quiet", "--no-dev", "--compile-bytecode"], cwd=project)
        python = str(project / ".venv" / "bin" / "python")
        run([python, str(BENCH_DIR / "seed.py"), database_url("postgres"), DATABASE,
             str(USERS)], cwd=project)  # fmt: skip
        version = run([python, "-c", "import platform; print(platform.python_version())"])
        figures = {}
        for endpoint in endpoints:
            figures[endpoint] = count(project, endpoint, args.requests, work / endpoint)
            log(f"{endpoint}: {figures[endpoint]:,.0f}k instructions per request")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"template {template_revision()}; Python {version.strip()}; "
          f"{args.requests} requests per endpoint from {TASKS} tasks, after a warm-up")  # fmt: skip
    for endpoint, thousands in figures.items():
        print(f"{endpoint:>10}: {thousands:10,.0f}k instructions per request")
    print(json.dumps({"revision": template_revision()} | {e: round(v) for e, v in figures.items()}))


if __name__ == "__main__":
    main()
