"""HTTP benchmark: the generated PostgreSQL app against a hand-written reference app.

Usage: uv run python benchmarks/bench_http.py [--quick] [--keep] [--loadgen auto|wrk|python]
                                              [--python VERSION|PATH]

Bakes the working tree (database=postgresql, use_alembic=no), installs it, seeds a
database, starts the generated app and the reference app (benchmarks/refapp.py)
under uvicorn (one worker, uvloop, httptools), checks that both answer the same
JSON, then drives each endpoint A B A B at fixed concurrency from a separate
process. Prints the SQL round trips of one request per endpoint, a table of
requests/s, latency and CPU per request, and, as the last line, one JSON object of
generated/reference ratios to compare across commits. Progress goes to stderr.
"""

import argparse
import contextlib
import dataclasses
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from benchlib import (
    BENCH_DIR,
    POSTGRES_URL,
    bake,
    clean_env,
    database_url,
    log,
    run,
    template_revision,
)

DB_NAME = "bench"
CONNECTIONS = 32
REF_PACKAGES = ["starlette", "asyncpg", "uvicorn", "uvloop", "httptools", "orjson", "httpx"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Mode:
    users: int
    seconds: int  # whole seconds: what wrk -d accepts
    warmup: int
    rounds: int
    in_process_load: int  # requests per endpoint for statements.py's concurrent phase


QUICK = Mode(users=10_000, seconds=2, warmup=1, rounds=2, in_process_load=200)
FULL = Mode(users=10_000, seconds=10, warmup=3, rounds=3, in_process_load=500)


@dataclass(frozen=True)
class Endpoint:
    """One benchmarked request; path and body may use loadgen.fill's placeholders:
    {n} numbers the requests, {id} cycles through the user ids, {tag} is unique per run."""

    name: str
    method: str
    path: str
    body: str = ""


def endpoints(users: int) -> list[Endpoint]:
    return [
        Endpoint("get_by_id", "GET", "/users/{id}"),
        Endpoint("list_page", "GET", "/users?limit=50"),
        Endpoint(
            "create", "POST", "/users", '{"email": "b{tag}-{n}@example.com", "name": "U {n}"}'
        ),
        Endpoint("patch", "PATCH", "/users/{id}", '{"name": "Patched {tag} {n}"}'),
        Endpoint("list_deep", "GET", f"/users?limit=50&after={users * 9 // 10}"),
    ]


# The app under test and the load generator each get a core of their own (the two apps
# run one after the other on the same core), so neither steals the other's CPU.
SERVER_CPU, LOAD_CPU = (0, 1) if len(os.sched_getaffinity(0)) >= 2 else (None, None)


def pin(cpu: int | None) -> Any:
    """A preexec_fn that pins the child process to `cpu` (None: leave it free)."""
    return None if cpu is None else (lambda: os.sched_setaffinity(0, {cpu}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def call(port: int, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
    conn = HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class Server:
    """An app under uvicorn: one worker process, uvloop, httptools, no access log."""

    name: str
    python: Path
    app: str
    cwd: Path
    env: dict[str, str]
    log_path: Path
    extra: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [
            str(self.python),
            "-m",
            "uvicorn",
            self.app,
            *self.extra,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                args,
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=pin(SERVER_CPU),
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()}")
            with contextlib.suppress(OSError):
                if call(self.port, "GET", "/users/1")[0] == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout}s")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


WRK_SCRIPT = """
local method, path, body = [==[{method}]==], [==[{path}]==], [==[{body}]==]
local users, counter, tag = {users}, 0, ""
local headers = {{["Content-Type"] = "application/json"}}

function init(args) tag = args[1] or "" end

local function fill(s)
  return (s:gsub("{{n}}", tostring(counter))
           :gsub("{{id}}", tostring(counter % users + 1))
           :gsub("{{tag}}", tag))
end

function request()
  counter = counter + 1
  if body == "" then return wrk.format(method, fill(path)) end
  return wrk.format(method, fill(path), headers, fill(body))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"errors": %d, "non2xx": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass
class Driver:
    """Runs the load generator, in its own process, against one endpoint of one server."""

    tool: str  # "wrk" or a Python interpreter for loadgen.py
    workdir: Path
    users: int

    def drive(self, server: Server, endpoint: Endpoint, seconds: int, tag: str) -> dict[str, Any]:
        if self.tool == "wrk":
            script = self.workdir / f"{endpoint.name}.lua"
            script.write_text(
                WRK_SCRIPT.format(
                    method=endpoint.method, path=endpoint.path, body=endpoint.body, users=self.users
                )
            )
            args = [
                "wrk",
                "-t1",
                f"-c{CONNECTIONS}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                f"http://127.0.0.1:{server.port}",
                "--",
                tag,
            ]
            marker = "WRKJSON "
        else:
            spec = {
                "port": server.port,
                "connections": CONNECTIONS,
                "duration": seconds,
                "method": endpoint.method,
                "path": endpoint.path,
                "body": endpoint.body,
                "users": self.users,
                "tag": tag,
            }
            args = [self.tool, str(BENCH_DIR / "loadgen.py"), json.dumps(spec)]
            marker = "LOADJSON "
        cpu_before = cpu_seconds(server.pid)
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
            preexec_fn=pin(LOAD_CPU),
        )
        cpu = cpu_seconds(server.pid) - cpu_before
        lines = [x for x in done.stdout.splitlines() if x.startswith(marker)]
        if done.returncode or not lines:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        line = lines[0]
        result: dict[str, Any] = json.loads(line[len(marker) :])
        if result["errors"] or result["non2xx"] or not result["requests"]:
            raise RuntimeError(f"{server.name} {endpoint.name}: failed requests {result}")
        result["cpu_s"] = cpu
        return result


def summarize(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Requests/s over all runs, mean p50/p99 (ms), CPU µs per request, spread of req/s."""
    requests = sum(r["requests"] for r in runs)
    rates = [r["requests"] / r["duration_us"] * 1e6 for r in runs]
    return {
        "rps": requests / sum(r["duration_us"] for r in runs) * 1e6,
        "spread": (max(rates) - min(rates)) / 2 / statistics.mean(rates),
        "p50": statistics.mean(r["p50_us"] for r in runs) / 1000,
        "p99": statistics.mean(r["p99_us"] for r in runs) / 1000,
        "cpu": sum(r["cpu_s"] for r in runs) / requests * 1e6,
    }


def check_same_json(gen: Server, ref: Server, users: int) -> str:
    """Compare both apps' answers: reads byte for byte, writes across apps.

    A write answered by one app must equal the same row read back through the other,
    which also checks that both store what they return.
    """
    reads = [
        "/users/1",
        f"/users/{users // 2}",
        "/users?limit=50",
        f"/users?limit=50&after={users - 20}",
        "/users?limit=3&after=17",
        "/users/12/items",
        "/users/12/items?limit=2&after=1",
        "/items/1",
        f"/users/{users * 100}",
        "/items/999999999",
        f"/users/{users * 100}/items",
    ]
    identical = 0
    for path in reads:
        a, b = call(gen.port, "GET", path), call(ref.port, "GET", path)
        if a[0] != b[0] or json.loads(a[1]) != json.loads(b[1]):
            raise RuntimeError(
                f"GET {path} differs:\n gen {a[0]} {a[1][:300]!r}\n ref {b[0]} {b[1][:300]!r}"
            )
        identical += a[1] == b[1]
    writes = 0

    def write(by: Server, other: Server, method: str, path: str, body: Any, read: str) -> Any:
        nonlocal writes
        status, raw = call(by.port, method, path, body)
        if status not in (200, 201):
            raise RuntimeError(f"{by.name} {method} {path}: {status} {raw!r}")
        answer = json.loads(raw)
        stored = json.loads(call(other.port, "GET", read.format(id=answer["id"]))[1])
        if "items" in stored and "items" not in answer:
            stored.pop("items")
        if answer != stored:
            raise RuntimeError(f"{by.name} {method} {path} answered {answer}, stored {stored}")
        writes += 1
        return answer

    for by, other in ((gen, ref), (ref, gen)):
        email = f"check-{by.name}-{time.time_ns()}@example.com"
        user = write(by, other, "POST", "/users", {"email": email, "name": " A "}, "/users/{id}")
        write(by, other, "PATCH", f"/users/{user['id']}", {"name": "B"}, "/users/{id}")
        item = write(by, other, "POST", f"/users/{user['id']}/items", {"title": "T"}, "/items/{id}")
        write(by, other, "PATCH", f"/items/{item['id']}", {"description": "D"}, "/items/{id}")
        conflict = (
            call(gen.port, "POST", "/users", {"email": email, "name": "C"}),
            call(ref.port, "POST", "/users", {"email": email, "name": "C"}),
        )
        if conflict[0] != conflict[1]:
            raise RuntimeError(f"duplicate email answered differently: {conflict}")
        for path in (f"/items/{item['id']}", f"/users/{user['id']}"):
            if call(by.port, "DELETE", path)[0] != 204 or call(other.port, "GET", path)[0] != 404:
                raise RuntimeError(f"{by.name} DELETE {path} failed")
    return (
        f"same JSON from both apps: {len(reads)} reads ({identical} byte-identical), "
        f"{writes} writes read back across apps, 409 bodies equal"
    )


def count_statements(
    python: Path, which: str, cwd: Path, env: dict[str, str], eps: list[Endpoint], mode: Mode
) -> dict[str, Any]:
    """Run statements.py for one app: SQL of one request, round trips under concurrency."""
    spec = {
        "users": mode.users,
        "concurrency": CONNECTIONS,
        "load": mode.in_process_load,
        "endpoints": [dataclasses.asdict(ep) for ep in eps],
    }
    out = run([str(python), str(BENCH_DIR / "statements.py"), which, json.dumps(spec)], cwd, env)
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def sequence(sql: list[str]) -> str:
    """Round trips ('execute: BEGIN;', ...) as one compact line: 'BEGIN ping ROLLBACK ...'."""
    words = []
    for entry in sql:
        kind, _, text = entry.partition(": ")
        word = text.split()[0].rstrip(";") if text.split() else "?"
        words.append(
            "ping" if text.endswith("(ping)") else ("prepare:" if kind == "prepare" else "") + word
        )
    return " ".join(words)


def print_statements(gen: dict[str, Any], ref: dict[str, Any], mode: Mode) -> None:
    print(
        "\nSQL per request. One request after a warm one: the generated app's statements and\n"
        "transaction events as SQLAlchemy's events see them (total = stmts + BEGIN + COMMIT +\n"
        "ROLLBACK; a pre-ping is not a cursor statement) and the round trips asyncpg makes for\n"
        f"each app. Then {mode.in_process_load} requests from {CONNECTIONS} concurrent clients, "
        "in-process: round trips\nper request and new database connections (pool churn)."
    )
    print(
        f"{'':<11} | {'generated, SQLAlchemy events':^35} | {'round trips':^11} | "
        f"{'concurrent: trips/req, new conns':^32}"
    )
    print(
        f"{'endpoint':<11} | {'stmts':>5} {'BEGIN':>5} {'COMMIT':>6} {'ROLLBK':>6} {'pings':>5} "
        f"{'total':>5} | {'gen':>5} {'ref':>5} | {'gen':>7} {'conns':>6} {'ref':>7} {'conns':>6}"
    )
    for name, entry in gen.items():
        c, g, r = entry["sqlalchemy"], entry["load"], ref[name]["load"]
        total = c["statements"] + c["begin"] + c["commit"] + c["rollback"]
        print(
            f"{name:<11} | {c['statements']:>5} {c['begin']:>5} {c['commit']:>6} "
            f"{c['rollback']:>6} {c['pings']:>5} {total:>5} | {entry['round_trips']:>5} "
            f"{ref[name]['round_trips']:>5} | {g['round_trips']:>7.2f} {g['connects']:>6} "
            f"{r['round_trips']:>7.2f} {r['connects']:>6}"
        )
    print("Round trips of one request:")
    for name, entry in gen.items():
        print(f"  {name:<11} generated: {sequence(entry['sql'])}")
        print(f"  {'':<11} reference: {sequence(ref[name]['sql'])}")


def print_table(results: dict[str, dict[str, dict[str, float]]], mode: Mode, tool: str) -> None:
    print(
        f"\nLoad: {tool}, {CONNECTIONS} connections, {mode.rounds} x {mode.seconds}s per app and "
        "endpoint, interleaved A B A B.\nreq/s over all rounds (± half the spread between "
        "rounds), p50/p99 latency in ms, CPU µs\nper request of the app's process."
    )
    head = f"{'req/s':>12} {'p50':>7} {'p99':>7} {'CPU µs':>7}"
    print(f"{'':<11} | {'generated':^36} | {'reference':^36} | {'generated / reference':^29}")
    print(f"{'endpoint':<11} | {head} | {head} | {'req/s':>6} {'p50':>6} {'p99':>6} {'CPU µs':>7}")

    def cells(s: dict[str, float]) -> str:
        rate = f"{s['rps']:.0f} ±{s['spread'] * 100:.0f}%"
        return f"{rate:>12} {s['p50']:>7.2f} {s['p99']:>7.2f} {s['cpu']:>7.0f}"

    for name, by_app in results.items():
        g, r = by_app["generated"], by_app["reference"]
        print(
            f"{name:<11} | {cells(g)} | {cells(r)} | {g['rps'] / r['rps']:>6.2f} "
            f"{g['p50'] / r['p50']:>6.2f} {g['p99'] / r['p99']:>6.2f} {g['cpu'] / r['cpu']:>7.2f}"
        )


def ratios(results: dict[str, dict[str, dict[str, float]]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, by_app in results.items():
        g, r = by_app["generated"], by_app["reference"]
        for key in ("rps", "p50", "p99", "cpu"):
            out[f"{name}.{key}"] = round(g[key] / r[key], 3)
    rps = [out[f"{name}.rps"] for name in results]
    out["geomean.rps"] = round(math.exp(statistics.mean(math.log(x) for x in rps)), 3)
    return out


def pick_loadgen(choice: str, fallback_python: Path) -> str:
    if choice in ("auto", "wrk") and shutil.which("wrk"):
        return "wrk"
    if choice == "wrk":
        raise SystemExit("wrk is not installed: apt-get install -y wrk, or use --loadgen python")
    log(
        "wrk not found: using the Python load generator (apt-get install -y wrk for better numbers)"
    )
    return str(fallback_python)


def benchmark(args: argparse.Namespace, mode: Mode, work: Path, servers: list[Server]) -> None:
    started = time.monotonic()
    project = bake(work / "bake", "postgresql", use_alembic=False)
    log(f"baked {project}; installing it and the reference app's venv")
    python_choice = ["--python", args.python] if args.python else []
    run(["uv", "sync", "--quiet", *python_choice], cwd=project)
    gen_python = project / ".venv" / "bin" / "python"
    ref_venv = work / "refvenv"
    run(["uv", "venv", "--quiet", "--python", str(gen_python), str(ref_venv)])
    ref_python = ref_venv / "bin" / "python"
    run(["uv", "pip", "install", "--quiet", "--python", str(ref_python), *REF_PACKAGES])
    tool = pick_loadgen(args.loadgen, ref_python)

    seeded = run(
        [str(gen_python), str(BENCH_DIR / "seed.py"), POSTGRES_URL, DB_NAME, str(mode.users)]
    )
    log(seeded.strip())
    url = database_url(DB_NAME)
    gen_env = clean_env(DATABASE_URL=url)
    ref_env = clean_env(REFAPP_DSN=url.replace("postgresql+asyncpg://", "postgresql://"))
    eps = endpoints(mode.users)
    log("counting SQL per request, in-process")
    gen_sql = count_statements(gen_python, "generated", project, gen_env, eps, mode)
    ref_sql = count_statements(ref_python, "reference", BENCH_DIR, ref_env, eps, mode)

    gen = Server("generated", gen_python, "my_service.main:app", project, gen_env, work / "gen.log")
    ref = Server(
        "reference",
        ref_python,
        "refapp:app",
        BENCH_DIR,
        ref_env,
        work / "ref.log",
        extra=["--app-dir", str(BENCH_DIR)],
    )
    servers += [gen, ref]
    for server in servers:
        server.start()
    for server in servers:
        server.wait_ready()
    checked = check_same_json(gen, ref, mode.users)
    log(checked)

    driver = Driver(tool, work, mode.users)
    results: dict[str, dict[str, dict[str, float]]] = {}
    for ep in eps:
        runs: dict[str, list[dict[str, Any]]] = {"generated": [], "reference": []}
        for server in servers:
            driver.drive(server, ep, mode.warmup, f"{server.name[0]}w")
        for round_ in range(mode.rounds):
            for server in servers:
                runs[server.name].append(
                    driver.drive(server, ep, mode.seconds, f"{server.name[0]}{round_}")
                )
        results[ep.name] = {name: summarize(r) for name, r in runs.items()}
        g, r = results[ep.name]["generated"]["rps"], results[ep.name]["reference"]["rps"]
        # Each round's p99, so that one round's stall shows as what it is.
        p99s = {
            name: ", ".join(f"{one['p99_us'] / 1000:.0f}" for one in app_runs)
            for name, app_runs in runs.items()
        }
        log(
            f"{ep.name}: generated {g:.0f} req/s, reference {r:.0f} req/s; p99 ms by round: "
            f"generated {p99s['generated']}, reference {p99s['reference']}"
        )

    python = run([str(gen_python), "-c", "import sys; print(sys.version.split()[0])"]).strip()
    print(
        f"\nTemplate {template_revision()}; Python {python} for both apps; {seeded.strip()}; "
        f"{os.cpu_count()} cores shared by the load generator, the app and PostgreSQL"
    )
    print(checked)
    print_statements(gen_sql, ref_sql, mode)
    print_table(results, mode, "wrk -t1" if tool == "wrk" else "loadgen.py")
    log(f"done in {time.monotonic() - started:.0f}s")
    summary = {
        "revision": template_revision(),
        "mode": "quick" if args.quick else "full",
        "loadgen": "wrk" if tool == "wrk" else "python",
        **ratios(results),
    }
    print(json.dumps(summary))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs, under 2 minutes")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (bake, logs)")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--python",
        help="the interpreter both apps run on (uv's --python: a version or a path); by "
        "default uv's choice for the project. The image runs python:3.13-slim.",
    )
    args = parser.parse_args()
    # A SIGTERM unwinds like Ctrl-C, so the servers are stopped either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="bench-http-"))
    servers: list[Server] = []
    try:
        benchmark(args, QUICK if args.quick else FULL, work, servers)
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
