"""The engine, the session factory and the session dependency every route uses."""

from collections.abc import AsyncIterator
from typing import Annotated{% if cookiecutter.database == "sqlite" %}, Any{% endif %}

from fastapi import Depends
from sqlalchemy import MetaData{% if cookiecutter.database == "sqlite" %}, event{% elif not cookiecutter.use_alembic %}, text{% endif %}
{%- if cookiecutter.database == "sqlite" %}
from sqlalchemy.engine import Connection
{%- endif %}
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from .config import settings


class Base(DeclarativeBase):
    """Base class of every model.

    The naming convention gives every index and constraint a stable name, so that
    schema changes can refer to them and error messages say which one was violated.
    """

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def create_engine(url: str) -> AsyncEngine:
    """Create an engine for `url` with this project's connection settings."""
{%- if cookiecutter.database == "postgresql" %}
    return create_async_engine(
        url,
        echo=settings.database_echo,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout,
        pool_pre_ping=settings.database_pool_pre_ping,
    )
{%- else %}
    engine = create_async_engine(url, echo=settings.database_echo)
    event.listen(engine.sync_engine, "connect", _configure_sqlite)
    event.listen(engine.sync_engine, "begin", _begin_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _connection_record: Any) -> None:
    """Enforce foreign keys, and let SQLAlchemy rather than the driver open transactions.

    The driver's legacy transaction handling defers BEGIN to the first write, which
    makes reads non-transactional and breaks SAVEPOINT; `_begin_sqlite` takes over.
    WAL with synchronous=NORMAL lets readers run beside a writer and roughly doubles
    commit throughput on a file database.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")
{%- endif %}


engine = create_engine(settings.database_url)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
{%- if cookiecutter.database == "postgresql" %}
# Reads need no transaction: under READ COMMITTED each statement takes its own snapshot
# anyway, and autocommit saves a read its BEGIN and COMMIT round trips.
ReadSessionLocal = async_sessionmaker(
    engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
)
{%- endif %}


async def get_db() -> AsyncIterator[AsyncSession]:
    """Yield a session inside a transaction: committed if the route returns, rolled back if it raises."""
    async with SessionLocal() as session, session.begin():
        yield session


async def get_read_db() -> AsyncIterator[AsyncSession]:
{%- if cookiecutter.database == "postgresql" %}
    """Yield a session for routes that only read, outside any transaction."""
    async with ReadSessionLocal() as session:
{%- else %}
    """Yield a session for routes that only read; SQLite's read transactions cost no I/O."""
    async with SessionLocal() as session:
{%- endif %}
        yield session


# scope="function" commits before the response is sent, so a failed commit can never
# follow a 2xx answer (by default FastAPI runs this teardown after responding), and
# gives the connection back to the pool before the response is written.
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
ReadSession = Annotated[AsyncSession, Depends(get_read_db, scope="function")]
{%- if not cookiecutter.use_alembic %}


async def init_models() -> None:
    """Create missing tables at start-up; existing tables are never altered."""
    async with engine.begin() as conn:
{%- if cookiecutter.database == "postgresql" %}
        # Workers starting together would race to create the same tables; the lock,
        # held until this transaction ends, lets one create them and the rest find them.
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('init_models'))"))
{%- endif %}
        await conn.run_sync(Base.metadata.create_all)
{%- endif %}
