"""PostgreSQL for the tests: the database, and a proxy whose stop is an outage."""

import asyncio
import os

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.package_name }}.config import settings
from {{ cookiecutter.package_name }}.postgresql import connect_args, time_limits

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL",
    "postgresql+asyncpg://postgres:postgres@localhost:5432/{{ cookiecutter.package_name }}_test",
)


@pytest.fixture(scope="session")
async def database_url() -> str:
    """TEST_DATABASE_URL, its database created if missing, so a fresh server needs no set-up.

    Behind a transaction pooler (DATABASE_TRANSACTION_POOLER=true) the database also gets
    the time limits, as the README says to do there: the pooler passes on no session settings.
    """
    target = make_url(TEST_DATABASE_URL)
    admin = create_async_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", connect_args=connect_args()
    )
    try:
        async with admin.connect() as conn:
            found = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            )
            if not found:
                await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            if settings.database_transaction_pooler:
                for name, value in time_limits().items():
                    await conn.execute(
                        text(f'ALTER DATABASE "{target.database}" SET {name} = {value}')
                    )
    finally:
        await admin.dispose()
    return TEST_DATABASE_URL


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
