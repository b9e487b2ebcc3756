"""Health checks, request ids and the access log."""

import logging

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine

from .conftest import UseEngine, client_on


async def test_liveness_needs_no_database(client: AsyncClient) -> None:
    response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_checks_the_database(engine: AsyncEngine, use_engine: UseEngine) -> None:
    async with client_on(use_engine(engine)) as client:
        response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_every_response_carries_a_request_id(client: AsyncClient) -> None:
    given = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    forged = await client.get("/health/live", headers={"X-Request-ID": "bad id\nINFO fake"})

    assert given.headers["X-Request-ID"] == "abc-123"
    assert len(forged.headers["X-Request-ID"]) == 32


async def test_requests_are_logged_with_id_and_duration(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("{{ cookiecutter.package_name }}")
    logger.addHandler(caplog.handler)
    try:
        await client.get("/users/999999", headers={"X-Request-ID": "req-42"})
    finally:
        logger.removeHandler(caplog.handler)

    (record,) = [r for r in caplog.records if r.name == "{{ cookiecutter.package_name }}"]
    assert record.getMessage().startswith("GET /users/999999 404 ")
    assert record.getMessage().endswith("ms")
    assert getattr(record, "request_id", None) == "req-42"


async def test_a_forged_log_line_is_escaped(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("{{ cookiecutter.package_name }}")
    logger.addHandler(caplog.handler)
    try:
        await client.get("/users/1%0a2026-01-01 INFO app [x] GET /admin 200 1.0ms%1b[2J")
    finally:
        logger.removeHandler(caplog.handler)

    (record,) = [r for r in caplog.records if r.name == "{{ cookiecutter.package_name }}"]
    assert "\n" not in record.getMessage()
    assert "\x1b" not in record.getMessage()
    assert record.getMessage().startswith("GET /users/1\\n2026-01-01 INFO ")
