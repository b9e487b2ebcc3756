"""Graceful shutdown: from SIGTERM on, readiness answers 503 while requests are still
served for the drain; then the server's own SIGTERM handling begins. test_serve.py
watches a served process go through it."""

import asyncio
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }} import shutdown

from .conftest import UseEngine, client_on


@pytest.fixture
def begun(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """A shutdown flag of the test's own."""
    event = threading.Event()
    monkeypatch.setattr(shutdown, "begun", event)
    return event


async def test_readiness_answers_503_once_shutdown_began(
    engine: AsyncEngine, begun: threading.Event, use_engine: UseEngine
) -> None:
    async with client_on(use_engine(engine)) as client:
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
def server_handler() -> Iterator[list[tuple[int, float]]]:
    """A stand-in for the server's SIGTERM handler, recording each signal and when it came."""
    received: list[tuple[int, float]] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        received.append((signum, time.monotonic()))

    original = signal.signal(signal.SIGTERM, handler)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, original)


async def test_sigterm_reaches_the_server_after_the_drain(
    server_handler: list[tuple[int, float]], begun: threading.Event
) -> None:
    drain = 0.05
    shutdown.drain_on_sigterm(drain)

    sent = time.monotonic()
    signal.raise_signal(signal.SIGTERM)
    await asyncio.sleep(0)
    during = list(server_handler)
    signal.raise_signal(signal.SIGTERM)  # another one changes nothing
    await asyncio.sleep(2 * drain)

    assert begun.is_set()
    assert during == []
    assert [signum for signum, _ in server_handler] == [signal.SIGTERM]
    assert server_handler[0][1] - sent >= drain
