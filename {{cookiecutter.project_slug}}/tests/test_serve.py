"""`python -m {{ cookiecutter.package_name }}.serve` with two worker processes, as the image
runs it: every log line JSON, the parent's included, and /metrics adding up both workers'
counts, whichever of them answers the scrape."""

import asyncio
import json
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from .conftest import serve

REQUESTS = 40
WORKERS = 2
READY_WITHIN = 90.0  # seconds: each worker imports the application on its own


@dataclass
class Server:
    url: str
    log: Path
    metrics: Path
    process: "subprocess.Popen[bytes]"


@pytest.fixture
def server(engine: AsyncEngine, database_url: str, tmp_path: Path) -> Iterator[Server]:
    """The service on the test database (`engine` made its schema), stopped with SIGTERM."""
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    (metrics / "counter_999999.db").write_bytes(b"a previous run's counts")
    url, log, process = serve(
        tmp_path,
        WORKERS,
        {
            "DATABASE_URL": database_url,
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        },
        "--no-access-log",
    )
    try:
        yield Server(url, log, metrics, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_until_ready(server: Server, client: httpx.AsyncClient) -> None:
    """Until every worker has started, so that both may take the requests."""
    for _ in range(int(READY_WITHIN * 10)):
        assert server.process.poll() is None, server.log.read_text()
        if server.log.read_text().count("Application startup complete.") == WORKERS:
            response = await client.get(f"{server.url}/health/live")
            assert response.status_code == 200
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"the server did not start:\n{server.log.read_text()}")


def requests_counted(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "http_requests_total" and sample.labels["route"] == "/users/{user_id}"
    )


async def test_two_workers_count_together_and_log_json(server: Server, engine: AsyncEngine) -> None:
    # A new connection per request: the workers take them in turn.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await wait_until_ready(server, client)
        assert not (server.metrics / "counter_999999.db").exists()
        for batch in range(0, REQUESTS, 10):
            await asyncio.gather(
                *(client.get(f"{server.url}/users/{i}") for i in range(batch, batch + 10))
            )
        scrapes = [(await client.get(f"{server.url}/metrics")).text for _ in range(6)]

    assert [requests_counted(text) for text in scrapes] == [REQUESTS] * len(scrapes)
    pool_size = engine.pool.size()  # type: ignore[attr-defined]
    assert f"db_pool_size {float(WORKERS * pool_size)}" in scrapes[0]
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=30)
    lines = server.log.read_text().splitlines()
    messages = [json.loads(line)["message"] for line in lines]
    assert any(message.startswith("Started parent process") for message in messages)
    assert sum(message.startswith("Finished server process") for message in messages) == WORKERS
    # Each worker took its gauges out of the sums when it stopped.
    assert not list(server.metrics.glob("gauge_live*.db"))
