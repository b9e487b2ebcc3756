"""Fixtures: one schema per test run; one rolled-back transaction per test."""

from collections.abc import AsyncIterator, Callable
{%- if cookiecutter.use_alembic %}
from pathlib import Path
{%- endif %}
from typing import Protocol

import pytest
{%- if cookiecutter.use_alembic %}
from alembic import command
from alembic.config import Config
{%- endif %}
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
{%- if cookiecutter.use_alembic %}
from sqlalchemy import insert, text
from sqlalchemy.engine import Connection
{%- else %}
from sqlalchemy import insert
{%- endif %}
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from {{ cookiecutter.package_name }} import database, models
from {{ cookiecutter.package_name }}.database import get_connection, get_db
from {{ cookiecutter.package_name }}.main import create_app
{%- if cookiecutter.database == "postgresql" %}
from {{ cookiecutter.package_name }}.postgresql import (
    create_engine,
    for_single_statements,
    for_transactions,
)

from .postgresql import database_url as database_url  # a fixture
{%- else %}
from {{ cookiecutter.package_name }}.sqlite import (
    create_engine,
    for_single_statements,
    for_transactions,
)

from .sqlite import database_url as database_url  # a fixture
{%- endif %}
{%- if cookiecutter.use_alembic %}

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration, migrating over `connection` (env.py cannot start a loop here)."""
    config = Config(ALEMBIC_INI)
    config.attributes["connection"] = connection
    return config
{%- endif %}


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
{%- if cookiecutter.use_alembic %}
    """The test database's engine, its schema built from scratch by the migrations."""
{%- else %}
    """The test database's engine, its schema built from scratch from the models."""
{%- endif %}
    engine = create_engine(database_url)
    async with for_transactions(engine).begin() as conn:
        await conn.run_sync(models.Base.metadata.drop_all)
{%- if cookiecutter.use_alembic %}
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    async with for_transactions(engine).begin() as conn:
        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), "head"))
{%- else %}
        await conn.run_sync(models.Base.metadata.create_all)
{%- endif %}
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back when the test ends."""
    async with for_transactions(engine).connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()


class AddUser(Protocol):
    async def __call__(self, email: str = ..., name: str = ...) -> int: ...


class AddItem(Protocol):
    async def __call__(self, owner_id: int, title: str = ...) -> int: ...


@pytest.fixture
def add_user(connection: AsyncConnection) -> AddUser:
    """Insert a user straight into the test's transaction: set-up need not go through HTTP."""

    async def add(email: str = "ada@example.com", name: str = "Ada") -> int:
        query = insert(models.User).values(email=email, name=name).returning(models.User.id)
        return (await connection.execute(query)).scalar_one()

    return add


@pytest.fixture
def add_item(connection: AsyncConnection) -> AddItem:
    """Insert an item straight into the test's transaction."""

    async def add(owner_id: int, title: str = "Write tests") -> int:
        query = insert(models.Item).values(owner_id=owner_id, title=title).returning(models.Item.id)
        return (await connection.execute(query)).scalar_one()

    return add


@pytest.fixture(scope="session")
def app() -> FastAPI:
    """One application for the run: FastAPI prepares each route on the first request that
    reaches it (about 20 ms an application), so the tests share one and change only where
    it finds the database."""
    return create_app()


UseEngine = Callable[[AsyncEngine], FastAPI]


@pytest.fixture
def use_engine(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> UseEngine:
    """The application as it runs in production, on a given engine instead of DATABASE_URL's."""

    def use(engine: AsyncEngine) -> FastAPI:
        # The `client` fixture's overrides would send every request to its connection.
        assert not app.dependency_overrides, "a test takes `client` or `use_engine`, not both"
        monkeypatch.setattr(database, "statement_engine", for_single_statements(engine))
        monkeypatch.setattr(
            database,
            "SessionLocal",
            async_sessionmaker(for_transactions(engine), expire_on_commit=False),
        )
        return app

    return use


def client_on(app: FastAPI) -> AsyncClient:
    """An HTTP client calling `app` in-process; unhandled errors become 500 answers, as a
    real server would give them."""
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    return AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
async def client(app: FastAPI, connection: AsyncConnection) -> AsyncIterator[AsyncClient]:
    """A client of the application working on `connection`: each request in a savepoint,
    so that a failed statement undoes that request alone."""
    sessions = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )

    async def get_test_db() -> AsyncIterator[AsyncSession]:
        async with sessions() as session, session.begin():
            yield session

    async def get_test_connection() -> AsyncIterator[AsyncConnection]:
        async with connection.begin_nested():
            yield connection

    app.dependency_overrides[get_connection] = get_test_connection
    app.dependency_overrides[get_db] = get_test_db
    try:
        async with client_on(app) as client:
            yield client
    finally:
        app.dependency_overrides.clear()
