"""SQLite specifics: foreign keys, WAL, write transactions that wait for the lock, and
what its errors mean."""

import re
import traceback
from typing import Any

from sqlalchemy import MetaData, UniqueConstraint, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .config import settings

# What DATABASE_URL's query string may hold: the options SQLAlchemy passes to sqlite3
# (with `uri=true`, SQLite's own URI parameters too).
URL_OPTIONS = {
    "timeout",
    "isolation_level",
    "detect_types",
    "check_same_thread",
    "cached_statements",
    "uri",
}
# Result codes that mean "the database cannot serve now": the write lock stayed taken
# past the busy timeout, or the file cannot be opened, read, written or grown.
UNAVAILABLE = {
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_FULL",
    "SQLITE_READONLY",
    "SQLITE_PROTOCOL",
}


# One connection per process: SQLite takes one writer at a time, and its busy handler
# polls with sleeps rather than queueing writers. Requests take their turns for the
# connection in arrival order instead (database.turn); other processes still meet the
# busy timeout.
POOL_CAPACITY = 1


def create_engine(url: str) -> AsyncEngine:
    """Create an engine for `url` whose connections are set up for a web service."""
    query = make_url(url).query
    if "uri" not in query and (unknown := sorted(set(query) - URL_OPTIONS)):
        # Stop at start-up, as for the other settings, rather than ignore the option.
        raise SystemExit(f"Invalid settings: DATABASE_URL: unknown option {', '.join(unknown)}")
    engine = create_async_engine(
        url,
        echo=settings.database_echo,
        # Errors and logs show statements without their values, which are users' data.
        hide_parameters=True,
        pool_size=POOL_CAPACITY,
        max_overflow=0,
        pool_timeout=settings.database_pool_timeout,
        connect_args={"timeout": settings.database_busy_timeout},
    )
    event.listen(engine.sync_engine, "connect", configure_connection)
    event.listen(engine.sync_engine, "begin", begin)
    return engine


def for_single_statements(engine: AsyncEngine) -> AsyncEngine:
    """The engine as it is: a transaction that begins deferred. A read takes no lock in
    WAL mode; a write as its first statement waits for the write lock up to
    DATABASE_BUSY_TIMEOUT."""
    return engine


def for_transactions(engine: AsyncEngine) -> AsyncEngine:
    """The engine whose transactions take SQLite's write lock when they begin.

    A deferred transaction that reads, then writes after another connection committed,
    fails at once with "database is locked"; BEGIN IMMEDIATE waits for the lock instead,
    up to DATABASE_BUSY_TIMEOUT.
    """
    return engine.execution_options(sqlite_begin="IMMEDIATE")


def configure_connection(dbapi_connection: Any, _connection_record: Any) -> None:
    """Enforce foreign keys, and let SQLAlchemy rather than the driver open transactions.

    The driver's legacy transaction handling defers BEGIN to the first write, which
    makes reads non-transactional and breaks SAVEPOINT; `begin` takes over.
    WAL lets readers run beside the writer, and synchronous=NORMAL saves an fsync per
    commit (a power cut may lose the last commits, never corrupt the file).
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def is_unavailable(error: Exception) -> bool:
    """Whether `error` says the database cannot serve now, rather than a bug."""
    if isinstance(error, DBAPIError):
        return getattr(error.orig, "sqlite_errorname", None) in UNAVAILABLE
    if isinstance(error, PoolTimeoutError):
        return True
    # An OSError counts only when it comes from the database layer.
    return isinstance(error, OSError) and any(
        frame.f_globals.get("__name__", "").startswith(("aiosqlite.", "sqlalchemy."))
        for frame, _ in traceback.walk_tb(error.__traceback__)
    )


def violated_constraint(error: IntegrityError, metadata: MetaData) -> str | None:
    """The name of the constraint `error` violated, found from SQLite's message.

    SQLite names a unique index, or the columns of a unique constraint; it names nothing
    for a foreign key, which is then the only foreign key of the written table.
    """
    message = str(error.orig)
    if found := re.fullmatch(r"UNIQUE constraint failed: index '(\w+)'", message):
        return found[1]
    if found := re.fullmatch(r"UNIQUE constraint failed: (\w+)\.(\w+(?:, \w+\.\w+)*)", message):
        table = metadata.tables.get(found[1])
        columns = {name.split(".")[-1] for name in found[2].split(", ")}
        for index in table.indexes if table is not None else ():
            if index.unique and {column.name for column in index.columns} == columns:
                return str(index.name)
        for constraint in table.constraints if table is not None else ():
            if (
                isinstance(constraint, UniqueConstraint)
                and set(constraint.columns.keys()) == columns
            ):
                return str(constraint.name)
    if message == "FOREIGN KEY constraint failed" and (
        found := re.match(r"(?:INSERT INTO|UPDATE) (\w+)", str(error.statement))
    ):
        table = metadata.tables.get(found[1])
        keys = table.foreign_key_constraints if table is not None else set()
        if len(keys) == 1:
            return str(next(iter(keys)).name)
    return None
