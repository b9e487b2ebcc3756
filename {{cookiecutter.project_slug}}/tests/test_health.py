"""Health checks, request ids and the access log."""

import logging

import pytest
from fastapi import Request
from httpx import AsyncClient
from sqlalchemy.exc import IntegrityError

from {{ cookiecutter.package_name }}.errors import database_unavailable


async def test_liveness_needs_no_database(client: AsyncClient) -> None:
    response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_checks_the_database(client: AsyncClient) -> None:
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


async def test_a_database_error_that_is_no_outage_stays_a_500() -> None:
    error = IntegrityError("INSERT INTO users ...", {}, Exception("duplicate key"))

    with pytest.raises(IntegrityError):
        await database_unavailable(Request({"type": "http", "headers": []}), error)
