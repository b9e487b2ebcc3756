"""Health checks, and how the service behaves while its database is down."""

{% if cookiecutter.database == "postgresql" -%}
import asyncio
{% endif -%}
import logging
{%- if cookiecutter.database == "sqlite" %}
from pathlib import Path
{%- endif %}

import pytest
from fastapi import Request
from httpx import ASGITransport, AsyncClient
{%- if cookiecutter.database == "postgresql" %}
from sqlalchemy import make_url
{%- endif %}
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

{% if cookiecutter.database == "sqlite" -%}
from {{ cookiecutter.package_name }} import models
{% endif -%}
from {{ cookiecutter.package_name }}.database import create_engine
from {{ cookiecutter.package_name }}.main import database_unavailable

from .conftest import {% if cookiecutter.database == "postgresql" %}TEST_DATABASE_URL, {% endif %}app_using
{%- if cookiecutter.database == "postgresql" %}

SECRET = "s3cret-Pa55word"  # noqa: S105


class TcpProxy:
    """Forwards a local port to the database; stopping it is a database outage."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.server.wait_closed()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        try:
            await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        finally:
            for w in (writer, upstream_writer):
                w.close()
            self.tasks.discard(task)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
{%- endif %}


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


async def test_outage_answers_503_and_recovers_without_restart(
{%- if cookiecutter.database == "postgresql" %}
    caplog: pytest.LogCaptureFixture,
{%- else %}
    caplog: pytest.LogCaptureFixture, tmp_path: Path
{%- endif %}
) -> None:
{%- if cookiecutter.database == "postgresql" %}
    target = make_url(TEST_DATABASE_URL)
    proxy = TcpProxy(target.host or "localhost", target.port or 5432)
    await proxy.start()
    url = target.set(host="127.0.0.1", port=proxy.port, password=SECRET)
    engine = create_engine(url.render_as_string(hide_password=False))
{%- else %}
    folder = tmp_path / "data"
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'app.db'}")
{%- endif %}
    app = app_using(async_sessionmaker(engine, expire_on_commit=False))
    logger = logging.getLogger("{{ cookiecutter.package_name }}")
    logger.addHandler(caplog.handler)
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with AsyncClient(transport=transport, base_url="http://test") as client:
{%- if cookiecutter.database == "postgresql" %}
            assert (await client.get("/health/ready")).status_code == 200
            await proxy.stop()
{%- else %}
            # The database's folder is missing: SQLite cannot open the file.
{%- endif %}

            down = [
                await client.get("/health/ready"),
                await client.get("/users/1"),
                await client.post("/users", json={"email": "a@example.com", "name": "A"}),
            ]
            live = await client.get("/health/live")

{%- if cookiecutter.database == "postgresql" %}
            await proxy.start()
{%- else %}
            folder.mkdir()
            async with engine.begin() as conn:
                await conn.run_sync(models.Base.metadata.create_all)
{%- endif %}
            back = await client.get("/health/ready")
            missing = await client.get("/users/999999")
    finally:
        logger.removeHandler(caplog.handler)
{%- if cookiecutter.database == "postgresql" %}
        await proxy.stop()
{%- endif %}
        await engine.dispose()

    for response in down:
        assert response.status_code == 503
        assert response.json() == {"detail": "Database unavailable"}
        assert response.headers["Retry-After"] == "5"
    assert live.status_code == 200
    assert back.status_code == 200
    assert missing.status_code == 404
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
{%- if cookiecutter.database == "postgresql" %}
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    assert all(SECRET not in response.text for response in down)
{%- endif %}
