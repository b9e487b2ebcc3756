"""A baked project's app under uvicorn on a free port of 127.0.0.1, for tests that talk to
it over real HTTP; stopped with SIGTERM (killed if it hangs) whatever the test did."""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from .baking import Project

READY_WITHIN = 60.0  # seconds from launch to the first 200 from /health/ready
STOP_WITHIN = 20.0  # seconds from SIGTERM to exit, before the process group is killed


@dataclass
class Server:
    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(
    project: Project, database_url: str, log: Path, *, workers: int = 1
) -> Iterator[Server]:
    """Run `project`'s app on a new port with DATABASE_URL set; yield once it is ready.

    Its output goes to `log`, shown when it fails to start. At exit it gets SIGTERM, as
    from an orchestrator; a test that passed fails if the server did not exit cleanly.
    """
    project.uv("python", "-c", "import uvicorn")  # its environment, synced once
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, LOG_LEVEL="WARNING")
    env.pop("VIRTUAL_ENV", None)
    env.pop("WEB_CONCURRENCY", None)
    command = ["uv", "run", "--no-sync", "uvicorn", f"{project.package}.main:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    command += ["--no-access-log", "--timeout-graceful-shutdown", "10"]
    with log.open("wb") as output:
        # A session of its own, so that a hung server and its workers can be killed together.
        process = subprocess.Popen(
            command, cwd=project.path, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", log, process)
    passed = False
    try:
        wait_until_ready(server, workers)
        yield server
        passed = True
    finally:
        unclean = stop(process)
    if unclean is None and server.log_text().count("Application shutdown complete.") < workers:
        unclean = "a worker did not shut down"
    if passed and unclean:
        pytest.fail(f"the server did not stop cleanly on SIGTERM ({unclean}):\n{server.log_text()}")


def wait_until_ready(server: Server, workers: int) -> None:
    """Until every worker has started and /health/ready answers 200; a worker that fails
    to start fails the test, even if the server restarts it."""
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        log = server.log_text()
        if server.process.poll() is not None or "startup failed" in log or "Traceback" in log:
            pytest.fail(f"the server failed to start ({server.process.returncode}):\n{log}")
        try:
            ready = httpx.get(f"{server.url}/health/ready", timeout=2).status_code == 200
        except httpx.TransportError:
            ready = False
        if ready and log.count("Application startup complete.") >= workers:
            return
        time.sleep(0.2)
    pytest.fail(f"the server was not ready within {READY_WITHIN}s:\n{server.log_text()}")


def stop(process: subprocess.Popen[bytes]) -> str | None:
    """SIGTERM, then wait; kill its whole session if anything of it outlives the time.
    None if it exited by itself, as on SIGTERM, and left nothing behind; else why not."""
    deadline = time.monotonic() + STOP_WITHIN
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_WITHIN)
    # Its session may outlive it a moment (multiprocessing's resource tracker): wait for
    # the rest, then kill whatever is left, a hung server or an orphaned worker.
    while alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(process.pid):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return f"killed after {STOP_WITHIN}s"
    # uvicorn ends by re-raising SIGTERM when it runs one process (uv reports 128 + 15).
    if process.wait() not in {0, -signal.SIGTERM, 128 + signal.SIGTERM}:
        return f"exit status {process.returncode}"
    return None


def alive(session: int) -> bool:
    """Whether any process of the session (process group) `session` is left."""
    try:
        os.killpg(session, 0)
    except ProcessLookupError:
        return False
    return True
