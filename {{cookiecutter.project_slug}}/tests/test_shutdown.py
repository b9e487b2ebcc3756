"""Graceful shutdown: from SIGTERM on, readiness answers 503 while requests are still
served for the drain; then the server stops, its in-flight requests finished."""

import asyncio
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }} import shutdown

from .conftest import client_on, serve, use_engine

DRAIN = 1.5  # seconds, for the server started here
READY_WITHIN = 60.0


@pytest.fixture
def begun(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """A shutdown flag of the test's own."""
    event = threading.Event()
    monkeypatch.setattr(shutdown, "begun", event)
    return event


async def test_readiness_answers_503_once_shutdown_began(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, begun: threading.Event
) -> None:
    async with client_on(use_engine(monkeypatch, engine)) as client:
        before = await client.get("/health/ready")
        begun.set()
        after = await client.get("/health/ready")
        live = await client.get("/health/live")
        served = await client.get("/users/999999")

    assert before.status_code == 200
    assert after.status_code == 503
    assert after.json() == {"detail": "Shutting down"}
    assert live.status_code == 200
    assert served.status_code == 404  # requests are still served


@pytest.fixture
def server_handler() -> Iterator[list[int]]:
    """A stand-in for the server's SIGTERM handler, recording the signals it gets."""
    received: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)

    original = signal.signal(signal.SIGTERM, handler)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, original)


async def test_sigterm_reaches_the_server_after_the_drain(
    server_handler: list[int], begun: threading.Event
) -> None:
    shutdown.drain_on_sigterm(0.3)

    signal.raise_signal(signal.SIGTERM)
    await asyncio.sleep(0.1)
    during = list(server_handler)
    signal.raise_signal(signal.SIGTERM)  # another one changes nothing
    await asyncio.sleep(0.5)

    assert begun.is_set()
    assert during == []
    assert server_handler == [signal.SIGTERM]


def test_a_served_process_drains_then_stops(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    """The image's command under SIGTERM: readiness 503 at once, other requests served
    until the drain ends, then the server stops and closes its pool."""
    url, log, process = serve(
        tmp_path,
        1,
        {
            "DATABASE_URL": database_url,
            "SHUTDOWN_DRAIN_SECONDS": str(DRAIN),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        },
    )
    try:
        with httpx.Client(base_url=url, timeout=5) as client:
            deadline = time.monotonic() + READY_WITHIN
            while True:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                try:
                    if client.get("/health/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            process.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            ready = client.get("/health/ready").status_code
            served = []
            while time.monotonic() - sent < DRAIN - 0.5:
                served.append(client.get("/users/999999").status_code)
                time.sleep(0.05)
        process.wait(timeout=30)
        stopped = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert ready == 503
    assert served
    assert set(served) == {404}
    assert DRAIN <= stopped < DRAIN + 10
    # One worker: uvicorn ends by raising SIGTERM again, once shut down (several: exit 0).
    assert process.returncode in {0, -signal.SIGTERM}
    assert "Application shutdown complete." in log.read_text()
