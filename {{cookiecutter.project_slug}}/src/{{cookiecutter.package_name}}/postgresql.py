"""PostgreSQL specifics: how the engine connects, pools and times out, and what its errors mean."""

import inspect
import traceback
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import MetaData, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .config import settings

# What DATABASE_URL's query string may hold: asyncpg's connect() arguments, and the
# dialect's own.
URL_OPTIONS = set(inspect.signature(asyncpg.connect).parameters) | {"prepared_statement_cache_size"}
# SQLSTATEs (or their classes) that mean "the database cannot serve now": connection
# failures, server shutting down or starting, too many connections, no such database,
# refused login, and the lock and statement time limits.
UNAVAILABLE = ("08", "53", "57P", "3D000", "28", "55P03", "57014")


# The most connections the pool lends at once.
POOL_CAPACITY = settings.database_pool_size + settings.database_max_overflow


def create_engine(url: str) -> AsyncEngine:
    """Create an engine for `url` with this project's pool settings and time limits, on
    AUTOCOMMIT connections: each statement commits as it runs (`for_transactions` gives
    the same pool with transactions)."""
    if unknown := sorted(set(make_url(url).query) - URL_OPTIONS):
        # Stop at start-up, as for the other settings: the driver would refuse every connection.
        raise SystemExit(f"Invalid settings: DATABASE_URL: unknown option {', '.join(unknown)}")
    return create_async_engine(
        url,
        echo=settings.database_echo,
        # Errors and logs show statements without their values, which are users' data.
        hide_parameters=True,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout,
        pool_pre_ping=settings.database_pool_pre_ping,
        # Every checkout ends its own work (autocommit statements, or a transaction that
        # commits or rolls back), so the pool's safety ROLLBACK on return is skipped.
        pool_reset_on_return=None,
        # Set once per connection here; set per checkout through `execution_options`, it
        # would put SQLAlchemy's event hooks on every statement (about 10% of a GET).
        isolation_level="AUTOCOMMIT",
        connect_args=connect_args(),
    )


def connect_args() -> dict[str, Any]:
    """asyncpg's arguments: the time limits, and what a transaction pooler needs."""
    args: dict[str, Any] = {
        "timeout": settings.database_connect_timeout,
        "command_timeout": settings.database_statement_timeout + 1,
    }
    if settings.database_transaction_pooler:
        # A pooler in transaction mode lends a server connection for one transaction (or
        # one statement outside any): nothing may outlive it there. asyncpg then prepares
        # unnamed statements, which the pooler's next client replaces, and sends each one
        # again with its execution, so that both reach the same server connection;
        # SQLAlchemy keeps none. Named statements, even uniquely named, would be run on
        # server connections that never prepared them, and pile up on those that did.
        # The pooler refuses startup settings: the time limits go on the role (README).
        return args | {"statement_cache_size": 0, "prepared_statement_cache_size": 0}
    return args | {"server_settings": time_limits()}


def time_limits() -> dict[str, str]:
    """The server's time limits for each statement and each lock wait, in milliseconds."""
    return {
        "statement_timeout": str(int(settings.database_statement_timeout * 1000)),
        "lock_timeout": str(int(settings.database_lock_timeout * 1000)),
    }


def for_single_statements(engine: AsyncEngine) -> AsyncEngine:
    """The engine as it is, on AUTOCOMMIT connections.

    A read needs no transaction (under READ COMMITTED each statement takes its own
    snapshot anyway), nor does a write of one statement, which is atomic; autocommit
    saves each of them the BEGIN and COMMIT round trips.
    """
    return engine


def for_transactions(engine: AsyncEngine) -> AsyncEngine:
    """The same pool with transactions at READ COMMITTED, PostgreSQL's default: BEGIN is
    sent before the first statement, and COMMIT or ROLLBACK ends it."""
    return engine.execution_options(isolation_level="READ COMMITTED")


def is_unavailable(error: Exception) -> bool:
    """Whether `error` says the database cannot serve now, rather than a bug."""
    if isinstance(error, DBAPIError):
        state = getattr(error.orig, "sqlstate", None) or ""
        return error.connection_invalidated or state.startswith(UNAVAILABLE)
    if isinstance(error, PoolTimeoutError):
        return True
    # asyncpg raises connection failures and its own time limit as plain OSError and
    # TimeoutError: count them only when they come from the database layer.
    return isinstance(error, OSError) and any(
        frame.f_globals.get("__name__", "").startswith(("asyncpg.", "sqlalchemy."))
        for frame, _ in traceback.walk_tb(error.__traceback__)
    )


def violated_constraint(error: IntegrityError, _metadata: MetaData) -> str | None:
    """The name of the constraint `error` violated, as asyncpg reports it."""
    return getattr(error.orig.__cause__, "constraint_name", None) if error.orig else None
