"""The engine, and the two ways a route reaches the database: a connection for reads and
single-statement writes, a session for writes of several statements."""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends
{%- if cookiecutter.database == "postgresql" and not cookiecutter.use_alembic %}
from sqlalchemy import MetaData, Result, text
{%- else %}
from sqlalchemy import MetaData, Result
{%- endif %}
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from .config import settings
{%- if cookiecutter.database == "postgresql" %}
from .postgresql import POOL_CAPACITY, create_engine, for_single_statements, for_transactions
{%- else %}
from .sqlite import POOL_CAPACITY, create_engine, for_single_statements, for_transactions
{%- endif %}


class Base(DeclarativeBase):
    """Base class of every model.

    The naming convention gives every index and constraint a stable name, so that
    schema changes can refer to them and errors can say which one was violated.
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
{%- if cookiecutter.database == "sqlite" %}
    # SQLite gives a new row the id of a deleted one unless told not to: a client still
    # holding that id would reach another row. A model with its own __table_args__
    # keeps this option.
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 (SQLAlchemy reads it)
{%- endif %}


engine = create_engine(settings.database_url)
statement_engine = for_single_statements(engine)
transaction_engine = for_transactions(engine)
SessionLocal = async_sessionmaker(transaction_engine, expire_on_commit=False)


# SQLAlchemy's async pool hands a returned connection to whichever task asks next, not to
# the one that waited longest: under load a request can lose its turn again and again (in
# the template's benchmark, a p99 of 5 to 8 times the reference's). Requests take turns
# for the pool's connections here instead, in arrival order.
class Turns:
    """Turns for the pool's connections, taken in arrival order; a wait ends at the pool
    timeout. A class rather than an @asynccontextmanager: this runs on every request, and
    a free turn is taken without setting a timer."""

    def __init__(self, capacity: int) -> None:
        self.semaphore = asyncio.Semaphore(capacity)

    async def __aenter__(self) -> None:
        if not self.semaphore.locked():
            await self.semaphore.acquire()  # returns at once
            return
        try:
            async with asyncio.timeout(settings.database_pool_timeout):
                await self.semaphore.acquire()
        except TimeoutError:
            raise PoolTimeoutError("no connection free within the pool timeout") from None

    async def __aexit__(self, *_exc_info: object) -> None:
        self.semaphore.release()


turn = Turns(POOL_CAPACITY)


async def get_connection() -> AsyncIterator[AsyncConnection]:
    """Yield a connection whose statements are each complete on their own: a read, or a
    write of one statement (INSERT, UPDATE or DELETE ... RETURNING), which is atomic."""
{%- if cookiecutter.database == "postgresql" %}
    # On AUTOCOMMIT connections each statement commits as it runs: no begin() to wrap them.
    async with turn, statement_engine.connect() as connection:
{%- else %}
    # begin(): SQLAlchemy opens each transaction here (sqlite.py), and commits it on return.
    async with turn, statement_engine.begin() as connection:
{%- endif %}
        yield connection


async def get_db() -> AsyncIterator[AsyncSession]:
    """Yield a session inside a transaction, for a write of several statements: committed
    if the route returns, rolled back if it raises. A route takes this or DbConnection,
    not both: each waits for a turn of its own."""
    async with turn, SessionLocal() as session, session.begin():
        yield session


def dicts(result: Result[Any]) -> list[dict[str, Any]]:
    """The rows of `result` as dicts: pydantic validates a dict about twice as fast as a
    row's mapping, and zip builds one several times faster than `Row._asdict()`."""
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


# scope="function" ends the work before the response is sent, so a failed commit can
# never follow a 2xx answer (by default FastAPI runs this teardown after responding), and
# gives the connection back to the pool before the response is written.
DbConnection = Annotated[AsyncConnection, Depends(get_connection, scope="function")]
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
{%- if not cookiecutter.use_alembic %}


async def init_models() -> None:
    """Create missing tables at start-up; existing tables are never altered."""
    async with transaction_engine.begin() as connection:
{%- if cookiecutter.database == "postgresql" %}
        # Workers starting together would race to create the same tables; the lock,
        # held until this transaction ends, lets one create them and the rest find them.
        await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('init_models'))"))
{%- endif %}
        await connection.run_sync(Base.metadata.create_all)
{%- endif %}
