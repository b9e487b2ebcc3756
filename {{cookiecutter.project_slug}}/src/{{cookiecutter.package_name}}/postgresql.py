"""PostgreSQL specifics: how the engine connects and pools, and how reads skip transactions."""

from sqlalchemy import MetaData
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .config import settings


def create_engine(url: str) -> AsyncEngine:
    """Create an engine for `url` with this project's pool settings."""
    return create_async_engine(
        url,
        echo=settings.database_echo,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout,
        pool_pre_ping=settings.database_pool_pre_ping,
    )


def for_reads(engine: AsyncEngine) -> AsyncEngine:
    """The engine on AUTOCOMMIT connections.

    Reads need no transaction: under READ COMMITTED each statement takes its own snapshot
    anyway, and autocommit saves a read its BEGIN and COMMIT round trips.
    """
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def for_writes(engine: AsyncEngine) -> AsyncEngine:
    """The engine as it is: each session's transaction begins with a plain BEGIN."""
    return engine


def violated_constraint(error: IntegrityError, _metadata: MetaData) -> str | None:
    """The name of the constraint `error` violated, as asyncpg reports it."""
    return getattr(error.orig.__cause__, "constraint_name", None) if error.orig else None
