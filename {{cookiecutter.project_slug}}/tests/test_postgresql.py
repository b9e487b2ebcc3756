"""How the service behaves when PostgreSQL fails, refuses or waits under it: 503 with
Retry-After while it cannot serve, never a 500, and never a wait without a bound."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import delete, insert, make_url, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from {{ cookiecutter.package_name }}.config import settings
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.postgresql import create_engine, for_transactions

from .conftest import AddUser, UseEngine, client_on
from .postgresql import TcpProxy

SECRET = "s3cret-Pa55word"  # noqa: S105


def assert_unavailable(*responses: Response) -> None:
    for response in responses:
        assert response.status_code == 503, response.text
        assert response.json() == {"detail": "Database unavailable"}
        assert response.headers["Retry-After"] == "5"


@pytest.fixture
async def committed_users(engine: AsyncEngine) -> AsyncIterator[list[int]]:
    """Two users committed for real, for tests that need other connections to see them."""
    async with engine.begin() as conn:
        result = await conn.execute(
            insert(User).returning(User.id),
            [{"email": f"lock-{n}@example.com", "name": f"Lock {n}"} for n in range(2)],
        )
        ids = list(result.scalars())
    yield ids
    async with engine.begin() as conn:
        await conn.execute(delete(User).where(User.id.in_(ids)))


async def test_outage_answers_503_and_recovers_without_restart(
    caplog: pytest.LogCaptureFixture, database_url: str, use_engine: UseEngine
) -> None:
    target = make_url(database_url)
    proxy = TcpProxy(target.host or "localhost", target.port or 5432)
    await proxy.start()
    url = target.set(host="127.0.0.1", port=proxy.port, password=SECRET)
    engine = create_engine(url.render_as_string(hide_password=False))
    logger = logging.getLogger("{{ cookiecutter.package_name }}")
    logger.addHandler(caplog.handler)
    try:
        async with client_on(use_engine(engine)) as client:
            assert (await client.get("/health/ready")).status_code == 200
            await proxy.stop()

            down = [
                await client.get("/health/ready"),
                await client.get("/users/1"),
                await client.post("/users", json={"email": "a@example.com", "name": "A"}),
            ]
            live = await client.get("/health/live")
            await proxy.start()
            back = await client.get("/health/ready")
            missing = await client.get("/users/999999")
    finally:
        logger.removeHandler(caplog.handler)
        await proxy.stop()
        await engine.dispose()

    assert_unavailable(*down)
    assert live.status_code == 200
    assert back.status_code == 200
    assert missing.status_code == 404
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    assert all(SECRET not in response.text for response in down)


async def test_a_terminated_connection_answers_503_once(
    engine: AsyncEngine, database_url: str, use_engine: UseEngine
) -> None:
    if settings.database_transaction_pooler:
        pytest.skip("behind a transaction pooler, server connections are the pooler's to renew")
    app_engine = create_engine(database_url)
    try:
        async with client_on(use_engine(app_engine)) as client:
            async with app_engine.connect() as conn:  # the pool's one connection, warmed
                pid = await conn.scalar(text("SELECT pg_backend_pid()"))
            async with engine.connect() as admin:
                await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

            cut = await client.get("/users/999999")
            after = await client.get("/users/999999")
    finally:
        await app_engine.dispose()

    assert_unavailable(cut)
    assert after.status_code == 404


async def test_a_missing_database_answers_503(database_url: str, use_engine: UseEngine) -> None:
    missing = make_url(database_url).set(database="no_such_database_here")
    app_engine = create_engine(missing.render_as_string(hide_password=False))
    try:
        async with client_on(use_engine(app_engine)) as client:
            responses = [await client.get("/health/ready"), await client.get("/users/1")]
    finally:
        await app_engine.dispose()

    assert_unavailable(*responses)


async def test_too_many_connections_answers_503(
    engine: AsyncEngine, database_url: str, use_engine: UseEngine
) -> None:
    role = f"no_connections_{id(engine)}"
    async with engine.connect() as admin:
        await admin.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{role}' CONNECTION LIMIT 0"))
    limited = make_url(database_url).set(username=role, password=role)
    app_engine = create_engine(limited.render_as_string(hide_password=False))
    try:
        async with client_on(use_engine(app_engine)) as client:
            responses = [await client.get("/health/ready"), await client.get("/users/1")]
    finally:
        await app_engine.dispose()
        async with engine.connect() as admin:
            await admin.execute(text(f"DROP ROLE {role}"))

    assert_unavailable(*responses)


async def test_a_row_locked_elsewhere_holds_only_its_own_requests(
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    committed_users: list[int],
    use_engine: UseEngine,
) -> None:
    """Requests for the locked row end within the lock timeout; the rest keep answering."""
    # Behind a transaction pooler the limit is the database's own (set by `database_url`).
    if not settings.database_transaction_pooler:
        monkeypatch.setattr(settings, "database_lock_timeout", 0.1)
    app_engine = create_engine(database_url)
    locked, free = committed_users
    try:
        async with (
            client_on(use_engine(app_engine)) as client,
            for_transactions(engine).connect() as holder,
        ):
            await holder.execute(
                text("SELECT 1 FROM users WHERE id = :id FOR UPDATE"), {"id": locked}
            )
            start = time.perf_counter()
            blocked, ready, other = await asyncio.gather(
                client.patch(f"/users/{locked}", json={"name": "Waited"}),
                client.get("/health/ready"),
                client.patch(f"/users/{free}", json={"name": "Free"}),
            )
            waited = time.perf_counter() - start
            await holder.rollback()
    finally:
        await app_engine.dispose()

    assert_unavailable(blocked)
    assert waited < settings.database_lock_timeout + 1.5
    assert ready.status_code == 200
    assert other.status_code == 200


async def test_every_connection_carries_the_time_limits(database_url: str) -> None:
    app_engine = create_engine(database_url)
    try:
        async with app_engine.connect() as conn:
            statement = await conn.scalar(text("SHOW statement_timeout"))
            lock = await conn.scalar(text("SHOW lock_timeout"))
    finally:
        await app_engine.dispose()

    assert statement == f"{int(settings.database_statement_timeout)}s"
    assert lock == f"{int(settings.database_lock_timeout)}s"


async def test_times_are_answered_in_utc_whatever_the_server_time_zone(
    connection: AsyncConnection, client: AsyncClient, add_user: AddUser
) -> None:
    """The models keep asyncpg's timestamptz values as they come, which are in UTC."""
    await connection.execute(text("SET LOCAL TIME ZONE 'Asia/Kolkata'"))
    user_id = await add_user()
    stored = await connection.scalar(
        text("SELECT created_at AT TIME ZONE 'UTC' FROM users WHERE id = :id"), {"id": user_id}
    )

    created_at = (await client.get(f"/users/{user_id}")).json()["created_at"]

    assert created_at.endswith("Z")
    assert datetime.fromisoformat(created_at) == stored.replace(tzinfo=UTC)


async def test_behind_a_transaction_pooler_no_statement_stays_on_the_server(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """A pooler in transaction mode hands the server connection to another client after
    each transaction: a prepared statement left there would collide with that client's
    (asyncpg numbers its statements per connection) or be missing for the next request."""
    monkeypatch.setattr(settings, "database_transaction_pooler", True)
    app_engine = create_engine(database_url)
    try:
        async with app_engine.begin() as conn:
            await conn.execute(select(User.id).where(User.id == 0))
            await conn.execute(text("SELECT count(*) FROM users WHERE id > :n"), {"n": 1})
            left = await conn.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    finally:
        await app_engine.dispose()

    assert left == 0


def test_an_unknown_url_option_stops_start_up(database_url: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        create_engine(f"{database_url}?sslmode=require&pool=3")

    assert str(stopped.value) == "Invalid settings: DATABASE_URL: unknown option pool, sslmode"
