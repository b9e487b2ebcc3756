"""Fixtures: one schema per test run{% if cookiecutter.use_alembic %}, built by the migrations{% endif %}; one rolled-back transaction per test."""

{% if cookiecutter.database == "postgresql" -%}
import os
{% endif -%}
from collections.abc import AsyncIterator
{%- if cookiecutter.database == "sqlite" or cookiecutter.use_alembic %}
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
from sqlalchemy import insert{% if cookiecutter.database == "postgresql" %}, make_url{% endif %}{% if cookiecutter.database == "postgresql" or cookiecutter.use_alembic %}, text{% endif %}
{%- if cookiecutter.use_alembic %}
from sqlalchemy.engine import Connection
{%- endif %}
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
{%- if cookiecutter.database == "postgresql" %}
    create_async_engine,
{%- endif %}
)

from {{ cookiecutter.package_name }} import models
from {{ cookiecutter.package_name }}.database import create_engine, get_db, get_read_db
from {{ cookiecutter.package_name }}.main import create_app
{%- if cookiecutter.database == "postgresql" %}

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL",
    "postgresql+asyncpg://postgres:postgres@localhost:5432/{{ cookiecutter.package_name }}_test",
)
{%- endif %}
{%- if cookiecutter.use_alembic %}

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration, migrating over `connection` (env.py cannot start a loop here)."""
    config = Config(ALEMBIC_INI)
    config.attributes["connection"] = connection
    return config
{%- endif %}
{%- if cookiecutter.database == "postgresql" %}


async def create_database_if_missing(url: str) -> None:
    """Create the test database, so that a fresh server needs no manual set-up."""
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            found = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            )
            if not found:
                await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        await admin.dispose()


@pytest.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    await create_database_if_missing(TEST_DATABASE_URL)
    engine = create_engine(TEST_DATABASE_URL)
{%- else %}


@pytest.fixture(scope="session")
async def engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    path: Path = tmp_path_factory.mktemp("db") / "test.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
{%- endif %}
    async with engine.begin() as conn:
        await conn.run_sync(models.Base.metadata.drop_all)
{%- if cookiecutter.use_alembic %}
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), "head"))
{%- else %}
        await conn.run_sync(models.Base.metadata.create_all)
{%- endif %}
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back when the test ends."""
    async with engine.connect() as conn:
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


@pytest.fixture
def sessions(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions whose commits become savepoints inside the test's transaction."""
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


def app_using(sessions: async_sessionmaker[AsyncSession]) -> FastAPI:
    """The application, taking every request's session from `sessions`."""

    async def get_test_db() -> AsyncIterator[AsyncSession]:
        async with sessions() as session, session.begin():
            yield session

    app = create_app()
    app.dependency_overrides[get_db] = get_test_db
    app.dependency_overrides[get_read_db] = get_test_db
    return app


@pytest.fixture
async def client(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncClient]:
    app = app_using(sessions)
    # Unhandled errors become 500 responses, as a real server would answer them.
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
