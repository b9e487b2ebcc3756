"""A generated PostgreSQL project scaled out, for real: behind PgBouncer in transaction
mode, as three replicas behind nginx, and through a rolling restart of all three.

- PgBouncer (Debian's package; 1.18 has no prepared-statement support of its own): the
  generated test suite passes through it with DATABASE_TRANSACTION_POOLER=true, and a
  concurrent load of reads and writes gets no error at all while PostgreSQL sees at most
  PgBouncer's pool of server connections, however many clients PgBouncer has.
- Three replicas of one project (`python -m <package>.serve`, two workers each) start at
  once on an empty database (create_all racing), behind nginx: a load of reads and
  writes gets no 5xx, every acknowledged write is in the database exactly once, and the
  replicas hold at most replicas x workers x pool size connections.
- Rolling restart, one replica after the other under load: SIGTERM, readiness 503 at
  once, the replica still serving while the balancer takes it out, its in-flight
  requests finished (one held by a row lock for seconds), its pool closed, exit 0; then
  started again. nginx's clients see no 5xx and no transport error.

The test plays the orchestrator's part, as Kubernetes does with its endpoints: a prober
asks each replica's /health/ready every 100 ms and keeps nginx's upstream list to those
that answer 200 (rewritten, then `nginx -s reload`). nginx's passive checks stay as a
safety net: a request that never reached a replica, or an idempotent one that failed
there, goes to the next (`proxy_next_upstream`); a POST or PATCH that reached one is
never sent twice. During the rolling restart the clients open a connection per request:
nginx's own reload closes its idle keep-alive client connections, which a client may be
writing a request to at that moment (browsers retry those; this load generator does not).

PgBouncer and nginx come from Debian's packages (`.ci/run` installs them); where they are
missing the tests skip, which CI (CI=true) counts as a failure. Figures (requests, status
histogram, connections, longest request) are printed: `pytest tests/test_scale_out.py -rP`.
"""

import asyncio
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from .baking import COMBINATIONS, Project, combinations

# One project: PostgreSQL without Alembic, so that replicas create the tables themselves.
pytestmark = pytest.mark.parametrize(
    "baked", combinations(database="postgresql", use_alembic=False), indirect=True
)
(COMBINATION,) = [c for c in COMBINATIONS if c.database == "postgresql" and not c.use_alembic]

REPLICAS = 3
WORKERS = 2  # per replica
POOL_SIZE = 4  # per worker, so that the load fills the pools
PGBOUNCER_POOL = 4  # server connections PgBouncer keeps per database and user
DRAIN = 2.0  # SHUTDOWN_DRAIN_SECONDS: the prober needs 0.5 + 0.1 s, nginx's reload less
GRACE = 10.0  # SHUTDOWN_GRACE_SECONDS
LOCK_TIMEOUT = 10.0  # DATABASE_LOCK_TIMEOUT: the held request outlasts the drain
START_WITHIN = 90.0  # seconds for a replica's workers to start, on a busy machine
PROBE_EVERY = 0.1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    pytest.fail(f"nothing listens on {port} after {within}s:\n{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, within: float = 30) -> None:
    """Stop a process (and its session) that this module started."""
    if process.poll() is None:
        process.send_signal(sig)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=within)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextmanager
def shared_folder(prefix: str, owner: str | None = None) -> Iterator[Path]:
    """A temporary folder other users may read (PgBouncer runs as postgres, nginx's
    workers as nobody, when the tests run as root); removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    if owner is not None:
        shutil.chown(folder, owner)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if found is None:
        pytest.skip(f"{name} is not installed (Debian: apt-get install {name}; .ci/run does)")
    return found


def dsn(sqlalchemy_url: str) -> str:
    """The URL as asyncpg takes it."""
    return urlunsplit(urlsplit(sqlalchemy_url)._replace(scheme="postgresql"))


# --- what runs with the project's Python (it has asyncpg)

# The most server connections to a database while it runs (and, given a port, the most
# established TCP connections to that port: PgBouncer's clients), until `stop` exists.
SAMPLER = r"""
import asyncio, json, os, sys
import asyncpg

def clients(port):
    count = 0
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count

async def main(dsn, datname, port, stop):
    conn = await asyncpg.connect(dsn)
    query = ("SELECT count(*) FROM pg_stat_activity"
             " WHERE datname = $1 AND backend_type = 'client backend'")
    most = {"server": 0, "clients": 0}
    while not os.path.exists(stop):
        most["server"] = max(most["server"], await conn.fetchval(query, datname))
        if int(port):
            most["clients"] = max(most["clients"], clients(int(port)))
        await asyncio.sleep(0.05)
    await conn.close()
    print(json.dumps(most))

asyncio.run(main(*sys.argv[1:]))
"""

# Users whose email starts with a prefix, as [id, email] pairs.
ROWS = r"""
import asyncio, json, sys
import asyncpg

async def main(dsn, prefix):
    conn = await asyncpg.connect(dsn)
    rows = await conn.fetch("SELECT id, email FROM users WHERE email LIKE $1", prefix + "%")
    await conn.close()
    print(json.dumps([[row["id"], row["email"]] for row in rows]))

asyncio.run(main(*sys.argv[1:]))
"""

# Holds a row lock on a user until a line arrives on stdin.
LOCKER = r"""
import asyncio, sys
import asyncpg

async def main(dsn, user_id):
    conn = await asyncpg.connect(dsn)
    async with conn.transaction():
        await conn.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", int(user_id))
        print("locked", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await conn.close()

asyncio.run(main(*sys.argv[1:]))
"""


SYNCED: set[Path] = set()


def python(project: Project) -> str:
    """The project's own interpreter, its environment synced."""
    if project.path not in SYNCED:
        project.uv("python", "-c", "import asyncpg, uvicorn")
        SYNCED.add(project.path)
    return str(project.path / ".venv" / "bin" / "python")


@contextmanager
def connections_sampled(project: Project, database: str, port: int = 0) -> Iterator[dict[str, int]]:
    """Yields a dict that holds, once the block ends, the most server connections to
    `database` seen meanwhile (and the most clients of `port`)."""
    with tempfile.TemporaryDirectory() as folder:
        stop_file = Path(folder) / "stop"
        arguments = [project.databases.admin_dsn, database, str(port), str(stop_file)]
        sampler = subprocess.Popen(
            [python(project), "-c", SAMPLER, *arguments],
            stdout=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        result: dict[str, int] = {}
        try:
            time.sleep(0.3)  # connected
            yield result
        finally:
            stop_file.touch()
            try:
                output, _ = sampler.communicate(timeout=10)
            finally:
                stop(sampler, signal.SIGKILL)
        result.update(json.loads(output))


def rows(project: Project, database_url: str, prefix: str) -> list[tuple[int, str]]:
    output = project.run(python(project), "-c", ROWS, dsn(database_url), prefix).stdout
    return [(row_id, email) for row_id, email in json.loads(output)]


# --- load


@dataclass
class Load:
    """Clients sending reads and writes through one URL until stopped or out of requests."""

    url: str
    clients: int
    requests: int
    prefix: str  # of every email this load writes
    keep_alive: bool = True
    pause: float = 0.0  # seconds each client waits between two requests
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    written: dict[str, int] = field(default_factory=dict)  # email -> id, from 201s
    longest: float = 0.0
    sent: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)

    async def run(self) -> None:
        limits = httpx.Limits(max_keepalive_connections=None if self.keep_alive else 0)
        async with httpx.AsyncClient(base_url=self.url, timeout=60, limits=limits) as client:
            await asyncio.gather(*(self.client(client, n) for n in range(self.clients)))

    async def client(self, client: httpx.AsyncClient, number: int) -> None:
        while self.sent < self.requests and not self.stopping.is_set():
            self.sent += 1
            turn = self.sent
            start = time.perf_counter()
            try:
                if turn % 3 == 0 or not self.written:
                    email = f"{self.prefix}{uuid.uuid4().hex}@example.com"
                    response = await client.post("/users", json={"email": email, "name": "L"})
                    if response.status_code == 201:
                        self.written[email] = response.json()["id"]
                elif turn % 3 == 1:
                    ids = list(self.written.values())
                    response = await client.get(f"/users/{ids[turn % len(ids)]}")
                else:
                    response = await client.get("/users", params={"limit": 20})
                self.statuses[response.status_code] += 1
            except httpx.HTTPError as exc:
                self.errors[type(exc).__name__] += 1
            self.longest = max(self.longest, time.perf_counter() - start)
            if self.pause:
                await asyncio.sleep(self.pause)

    @contextmanager
    def running(self) -> Iterator["Load"]:
        """The load in a thread of its own while the block runs; then it is stopped."""
        thread = threading.Thread(target=asyncio.run, args=(self.run(),), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.stopping.set()
            thread.join(timeout=90)
            assert not thread.is_alive(), "the load did not stop"

    def figures(self) -> dict[str, Any]:
        return {
            "requests": sum(self.statuses.values()) + sum(self.errors.values()),
            "statuses": dict(sorted(self.statuses.items())),
            "errors": dict(self.errors),
            "writes acknowledged": len(self.written),
            "longest request (s)": round(self.longest, 3),
        }


def report(title: str, figures: dict[str, Any]) -> None:
    print(f"{title}: {json.dumps(figures)}")  # shown with -rP


def check_writes(project: Project, database_url: str, load: Load) -> None:
    """Every write the clients were told succeeded is there once, and nothing else is."""
    found = rows(project, database_url, load.prefix)
    assert len(found) == len({email for _, email in found})
    assert dict((email, row_id) for row_id, email in found) == load.written


# --- PgBouncer


@dataclass
class PgBouncer:
    port: int
    log: Path


@pytest.fixture(scope="module")
def pgbouncer(postgres: str) -> Iterator[PgBouncer]:
    """PgBouncer in transaction mode in front of the tests' server, on a port of its own."""
    executable = binary("pgbouncer")
    server = urlsplit(postgres)
    as_root = os.geteuid() == 0
    with shared_folder("template-pgbouncer-", "postgres" if as_root else None) as folder:
        port = free_port()
        users = folder / "users.txt"
        # PgBouncer logs in to the server as the client's user, with this password.
        users.write_text(f'"{server.username or "postgres"}" "{server.password or ""}"\n')
        config = folder / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host={server.hostname or '127.0.0.1'} port={server.port or 5432}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users}\n"
            f"pool_mode = transaction\ndefault_pool_size = {PGBOUNCER_POOL}\n"
            "max_client_conn = 500\nserver_login_retry = 1\n"
            f"logfile = {folder / 'pgbouncer.log'}\n"
        )
        if as_root:  # it refuses to run as root
            for path in (users, config):
                shutil.chown(path, "postgres")
        command = [executable, str(config)]
        if as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        output = folder / "output.log"  # what it says before its log file is open
        with output.open("wb") as stream:
            process = subprocess.Popen(
                command, stdout=stream, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            wait_for_port(port, process, output, 20)
            yield PgBouncer(port, folder / "pgbouncer.log")
        finally:
            stop(process)


def through(bouncer: PgBouncer, postgres: str, database: str) -> str:
    """`postgres`'s URL (user, password, driver), to `database` through PgBouncer."""
    parts = urlsplit(postgres)
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(
        parts._replace(netloc=f"{credentials}127.0.0.1:{bouncer.port}", path=f"/{database}")
    )


def test_generated_suite_passes_through_pgbouncer(
    baked: Project, pgbouncer: PgBouncer, postgres: str
) -> None:
    """The project's own tests, every connection through PgBouncer in transaction mode."""
    url = through(pgbouncer, postgres, baked.database_name("bouncer_suite"))
    env = {"TEST_DATABASE_URL": url, "DATABASE_TRANSACTION_POOLER": "true"}

    result = baked.uv("pytest", "-q", "-p", "no:cacheprovider", "-x", "-rs", env=env)

    lines = result.stdout.strip().splitlines()
    report("generated suite through PgBouncer", {"summary": lines[-1]})
    assert " passed" in lines[-1]
    # What skips there, skips for the pooler's sake (a backend killed under the service:
    # PgBouncer renews its server connections itself).
    skipped = [line for line in lines if line.startswith("SKIPPED")]
    assert all("behind a transaction pooler" in line for line in skipped), skipped
    assert "prepared statement" not in result.stdout


@dataclass
class Replica:
    """One replica: `python -m <package>.serve` (a parent and its workers) on a port."""

    project: Project
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [python(self.project), "-m", f"{self.project.package}.serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"]
        self.starts += 1
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command, cwd=self.project.path, env=self.env, stdout=output,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_WITHIN
        with httpx.Client(base_url=self.url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    pytest.fail(f"replica {self.port} exited:\n{self.log_text()[-3000:]}")
                text = self.log_text()
                with suppress(httpx.TransportError):
                    started = text.count("Application startup complete.") >= WORKERS * self.starts
                    if started and client.get("/health/ready").status_code == 200:
                        return
                time.sleep(0.2)
        pytest.fail(f"replica {self.port} not ready within {START_WITHIN}s:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.process is not None:
            stop(self.process)


def replica_env(database_url: str, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "VIRTUAL_ENV"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        DATABASE_URL=database_url,
        WEB_CONCURRENCY=str(WORKERS),
        DATABASE_POOL_SIZE=str(POOL_SIZE),
        SHUTDOWN_DRAIN_SECONDS=str(DRAIN),
        SHUTDOWN_GRACE_SECONDS=str(GRACE),
        DATABASE_LOCK_TIMEOUT=str(LOCK_TIMEOUT),
        LOG_LEVEL="INFO",
    )
    env.update(more)
    return env


def test_a_load_through_pgbouncer_never_fails_and_holds_its_pool(
    baked: Project, pgbouncer: PgBouncer, postgres: str, tmp_path: Path
) -> None:
    """One replica, two workers with a pool of 20 each (up to 40 PgBouncer clients), a
    few clients and then many: no error, and never more than PgBouncer's pool of
    server connections."""
    name = baked.database_name("bouncer_load")
    assert baked.admin("create", name) == [name]
    url = through(pgbouncer, postgres, name)
    env = replica_env(url, DATABASE_TRANSACTION_POOLER="true", DATABASE_POOL_SIZE="20")
    replica = Replica(baked, free_port(), env, tmp_path / "replica.log")
    figures = {}
    try:
        replica.start()
        replica.wait_until_ready()
        for clients in (4, 40):
            load = Load(replica.url, clients, 300, prefix=f"bouncer{clients}-")
            with connections_sampled(baked, name, pgbouncer.port) as most:
                asyncio.run(load.run())
            figures[f"{clients} HTTP clients"] = load.figures() | {
                "PgBouncer clients (most)": most["clients"],
                "server connections (most)": most["server"],
            }
            assert load.errors == {}
            assert set(load.statuses) <= {200, 201}, load.figures()
            assert most["server"] <= PGBOUNCER_POOL
            check_writes(baked, baked.databases.url(name), load)
        assert figures["40 HTTP clients"]["PgBouncer clients (most)"] > PGBOUNCER_POOL
    finally:
        replica.kill()
        report("through PgBouncer, transaction mode", figures)
    log = replica.log_text()
    assert "prepared statement" not in log
    assert "Traceback" not in log


# --- three replicas behind nginx


@dataclass
class Nginx:
    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    upstreams: list[int] = field(default_factory=list)
    reloads: int = 0

    def route_to(self, ports: list[int]) -> None:
        """Send requests to these replicas only (a graceful reload: requests in flight
        finish on the old worker processes)."""
        lines = [f"server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in ports]
        (self.folder / "upstreams.conf").write_text("\n".join(lines) + "\n")
        self.process.send_signal(signal.SIGHUP)
        self.reloads += 1
        self.upstreams = list(ports)


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$request_method $status $upstream_addr $upstream_status';
    access_log {folder}/access.log upstream;
    client_body_temp_path {folder}/temp-body;
    proxy_temp_path {folder}/temp-proxy;
    fastcgi_temp_path {folder}/temp-fastcgi;
    uwsgi_temp_path {folder}/temp-uwsgi;
    scgi_temp_path {folder}/temp-scgi;
    upstream replicas {{
        zone replicas 64k;
        include {folder}/upstreams.conf;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://replicas;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
            # To the next replica: a request none took, or an idempotent one that failed.
            # nginx never sends a POST or PATCH twice (that would take non_idempotent).
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries 3;
            proxy_next_upstream_timeout 10s;
        }}
    }}
}}
"""


@contextmanager
def nginx(ports: list[int]) -> Iterator[Nginx]:
    executable = binary("nginx")
    with shared_folder("template-nginx-") as folder:
        port = free_port()
        (folder / "nginx.conf").write_text(NGINX_CONF.format(folder=folder, port=port))
        error_log = folder / "error.log"
        command = [executable, "-p", str(folder), "-c", str(folder / "nginx.conf")]
        command += ["-e", str(error_log)]
        lines = [f"server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in ports]
        (folder / "upstreams.conf").write_text("\n".join(lines) + "\n")
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            error_log.touch()
            wait_for_port(port, process, error_log, 20)
            yield Nginx(folder, port, process, list(ports))
        finally:
            stop(process, signal.SIGQUIT)


class Prober:
    """The orchestrator's part: each replica's readiness, every PROBE_EVERY seconds;
    nginx routes to those that answer 200."""

    def __init__(self, replicas: list[Replica], balancer: Nginx) -> None:
        self.replicas = replicas
        self.balancer = balancer
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with httpx.Client(timeout=0.5, limits=httpx.Limits(max_keepalive_connections=0)) as client:
            while not self.stopping.is_set():
                ready = []
                for replica in self.replicas:
                    with suppress(httpx.HTTPError):
                        if client.get(f"{replica.url}/health/ready").status_code == 200:
                            ready.append(replica.port)
                if ready and ready != self.balancer.upstreams:
                    self.balancer.route_to(ready)
                time.sleep(PROBE_EVERY)

    @contextmanager
    def probing(self) -> Iterator["Prober"]:
        self.thread.start()
        try:
            yield self
        finally:
            self.stopping.set()
            self.thread.join(timeout=10)


@dataclass
class Fleet:
    replicas: list[Replica]
    balancer: Nginx
    database: str
    url: str  # the database's


@pytest.fixture(scope="module")
def fleet(project: Any, postgres: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """REPLICAS replicas of the project, started at once on an empty database, behind nginx."""
    baked: Project = project(COMBINATION)
    name = baked.database_name("fleet")
    assert baked.admin("create", name) == [name]
    url = baked.databases.url(name)
    folder = tmp_path_factory.mktemp("fleet")
    replicas = [
        Replica(baked, free_port(), replica_env(url), folder / f"replica{n}.log")
        for n in range(REPLICAS)
    ]
    python(baked)
    try:
        for replica in replicas:  # all at once: their workers race to create the tables
            replica.start()
        for replica in replicas:
            replica.wait_until_ready()
        with nginx([replica.port for replica in replicas]) as balancer:
            yield Fleet(replicas, balancer, name, url)
    finally:
        for replica in replicas:  # SIGTERM to all, then wait for each
            if replica.process is not None and replica.process.poll() is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in replicas:
            replica.kill()
    for replica in replicas:
        assert "Traceback" not in replica.log_text(), replica.log_text()


def test_replicas_behind_nginx_serve_a_load_without_5xx(baked: Project, fleet: Fleet) -> None:
    """Reads and writes through nginx to three replicas started together: no 5xx, no
    error, each acknowledged write once, connections within replicas x workers x pool."""
    balancer = f"http://127.0.0.1:{fleet.balancer.port}"
    load = Load(balancer, clients=24, requests=900, prefix="fleet-")

    with connections_sampled(baked, fleet.database) as most:
        asyncio.run(load.run())

    bound = REPLICAS * WORKERS * POOL_SIZE
    used = collections.Counter(
        line.split()[2].rstrip(",")
        for line in (fleet.balancer.folder / "access.log").read_text().splitlines()
    )
    report(
        "3 replicas x 2 workers behind nginx",
        load.figures()
        | {"server connections (most)": most["server"], "bound": bound}
        | {"requests per replica": dict(used)},
    )
    assert load.errors == {}
    assert set(load.statuses) <= {200, 201}, load.figures()
    assert most["server"] <= bound
    assert len(used) == REPLICAS  # every replica took its share
    check_writes(baked, fleet.url, load)


def readiness_503_after(replica: Replica, since: float) -> float:
    """Seconds from `since` (the SIGTERM) to the replica's first 503 from /health/ready."""
    with httpx.Client(base_url=replica.url, timeout=1) as client:
        while time.monotonic() - since < DRAIN:
            with suppress(httpx.HTTPError):
                if client.get("/health/ready").status_code == 503:
                    return time.monotonic() - since
            time.sleep(0.02)
    pytest.fail(f"readiness never answered 503 during the drain:\n{replica.log_text()[-3000:]}")


class HeldRequest:
    """A PATCH to a replica that waits for a row lock the test holds: in flight until the
    block ends, when the lock goes."""

    def __init__(self, project: Project, database_url: str, replica: Replica, user: int) -> None:
        self.locker = subprocess.Popen(
            [python(project), "-c", LOCKER, dsn(database_url), str(user)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        self.url = f"{replica.url}/users/{user}"
        self.status = 0
        self.took = 0.0
        self.thread = threading.Thread(target=self.send, daemon=True)

    def send(self) -> None:
        start = time.monotonic()
        try:
            self.status = httpx.patch(self.url, json={"name": "Waited"}, timeout=60).status_code
        except httpx.HTTPError as exc:
            self.status = -1
            print(f"held request: {exc!r}")
        self.took = time.monotonic() - start

    def __enter__(self) -> "HeldRequest":
        assert self.locker.stdout is not None
        assert self.locker.stdout.readline().strip() == b"locked"
        self.thread.start()
        time.sleep(0.5)  # at the server, waiting for the lock
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self.locker.stdin is not None
        self.locker.stdin.write(b"release\n")
        self.locker.stdin.close()
        self.thread.join(timeout=60)
        stop(self.locker)

    def figures(self) -> dict[str, Any]:
        return {"status": self.status, "took (s)": round(self.took, 2)}


def test_a_rolling_restart_under_load_loses_nothing(baked: Project, fleet: Fleet) -> None:
    """SIGTERM to each replica in turn, then start it again, while clients keep going
    through nginx: readiness 503 at once, in-flight requests finished (one held for
    seconds by a row lock), exit 0, and the clients see no 5xx and no transport error."""
    balancer = f"http://127.0.0.1:{fleet.balancer.port}"
    load = Load(balancer, clients=8, requests=20_000, prefix="rolling-", keep_alive=False)
    load.pause = 0.02
    figures: dict[str, Any] = {"replicas": []}
    held_user = httpx.post(
        f"{fleet.replicas[0].url}/users", json={"email": "held@example.com", "name": "Held"}
    ).json()["id"]
    reloads = fleet.balancer.reloads
    with Prober(fleet.replicas, fleet.balancer).probing(), load.running():
        time.sleep(1)
        for number, replica in enumerate(fleet.replicas):
            assert replica.process is not None
            held = HeldRequest(baked, fleet.url, replica, held_user) if number == 0 else None
            with held or nullcontext():
                replica.process.send_signal(signal.SIGTERM)
                sent = time.monotonic()
                to_503 = readiness_503_after(replica, sent)
                if held is not None:
                    time.sleep(DRAIN + 1 - (time.monotonic() - sent))  # past the drain
            exit_code = replica.process.wait(timeout=DRAIN + GRACE + 15)
            stopped = time.monotonic() - sent
            shut_down = replica.log_text().count("Application shutdown complete.")
            figures["replicas"].append(
                {"readiness 503 after (s)": round(to_503, 3), "exited after (s)": round(stopped, 2)}
                | ({"held request": held.figures()} if held else {})
            )
            assert exit_code == 0, replica.log_text()[-3000:]
            assert shut_down == WORKERS  # each worker closed its pool
            if held is not None:
                assert held.status == 200, held.figures()
                # Answered after the drain: in flight when the server began to stop.
                assert held.took > DRAIN + 0.5
            replica.start()
            replica.wait_until_ready()
            time.sleep(1)  # back in nginx's list, serving
    figures |= load.figures() | {"nginx reloads": fleet.balancer.reloads - reloads}
    report("rolling restart of 3 replicas behind nginx", figures)
    assert load.errors == {}
    assert set(load.statuses) <= {200, 201}, load.figures()
    assert sum(load.statuses.values()) > 200  # the load ran throughout
    check_writes(baked, fleet.url, load)
