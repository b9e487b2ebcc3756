"""The image's command, `python -m {{ cookiecutter.package_name }}.serve`,
from start to stop: two worker processes, every log line JSON (the parent's included),
/metrics adding up both workers' counts whichever of them answers the scrape, and on
SIGTERM a drain (readiness 503, requests still served) before both workers stop and
take their gauges out of the sums."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

REQUESTS = 40
WORKERS = 2
DRAIN = 0.5  # seconds: time enough for the requests sent while draining
READY_WITHIN = 90.0  # seconds: each worker imports the application on its own


def requests_counted(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "http_requests_total" and sample.labels["route"] == "/users/{user_id}"
    )


def wait_until(process: "subprocess.Popen[bytes]", log: Path, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while not ready():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)


def test_the_image_command_serves_with_two_workers_then_drains_and_stops(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    """One process's life, as the image runs it (`engine` made the schema it serves)."""
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    (metrics / "counter_999999.db").write_bytes(b"a previous run's counts")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "{{ cookiecutter.package_name }}.serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--no-access-log",
    ]
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "SHUTDOWN_DRAIN_SECONDS": str(DRAIN),
    }
    environment.pop("WEB_CONCURRENCY", None)  # --workers decides
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            command, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    # A new connection per request: the workers take them in turn.
    limits = httpx.Limits(max_keepalive_connections=0)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30) as client:
            started = "Application startup complete."
            wait_until(process, log, lambda: log.read_text().count(started) == WORKERS)
            stale_gone = not (metrics / "counter_999999.db").exists()
            answers = [client.get(f"/users/{i}").status_code for i in range(1, REQUESTS + 1)]
            scrapes = [client.get("/metrics").text for _ in range(6)]

            process.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            wait_until(process, log, lambda: client.get("/health/ready").status_code == 503)
            served = [client.get("/users/999999").status_code for _ in range(5)]
        process.wait(timeout=30)
        stopped = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert stale_gone
    assert answers == [404] * REQUESTS
    assert [requests_counted(text) for text in scrapes] == [REQUESTS] * len(scrapes)
    pool_size = engine.pool.size()  # type: ignore[attr-defined]
    assert f"db_pool_size {float(WORKERS * pool_size)}" in scrapes[0]
    # Draining: readiness answered 503 while other requests were still served.
    assert served == [404] * len(served)
    assert DRAIN <= stopped < DRAIN + 10
    assert process.returncode == 0
    messages = [json.loads(line)["message"] for line in log.read_text().splitlines()]
    assert any(message.startswith("Started parent process") for message in messages)
    assert messages.count("Application shutdown complete.") == WORKERS
    assert sum(message.startswith("Finished server process") for message in messages) == WORKERS
    # Each worker took its gauges out of the sums when it stopped.
    assert not list(metrics.glob("gauge_live*.db"))
