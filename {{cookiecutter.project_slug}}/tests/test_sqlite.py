"""How the service behaves when its SQLite file is busy or unusable: writes wait for the
write lock up to the busy timeout, then 503; reads go on; never a 500."""

import asyncio
import sqlite3
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }} import database, models
from {{ cookiecutter.package_name }}.config import settings
from {{ cookiecutter.package_name }}.sqlite import create_engine

from .conftest import UseEngine, client_on


async def new_database(path: Path) -> AsyncEngine:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.run_sync(models.Base.metadata.create_all)
    return engine


async def test_unusable_file_answers_503_and_recovers_without_restart(
    tmp_path: Path, use_engine: UseEngine
) -> None:
    folder = tmp_path / "data"  # missing: SQLite cannot open the file
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'app.db'}")
    try:
        async with client_on(use_engine(engine)) as client:
            down = [
                await client.get("/health/ready"),
                await client.get("/users/1"),
                await client.post("/users", json={"email": "a@example.com", "name": "A"}),
            ]
            live = await client.get("/health/live")
            folder.mkdir()
            async with engine.begin() as conn:
                await conn.run_sync(models.Base.metadata.create_all)
            back = await client.get("/health/ready")
            missing = await client.get("/users/999999")
    finally:
        await engine.dispose()

    for response in down:
        assert response.status_code == 503
        assert response.json() == {"detail": "Database unavailable"}
        assert response.headers["Retry-After"] == "5"
    assert live.status_code == 200
    assert back.status_code == 200
    assert missing.status_code == 404


async def test_transactions_take_the_write_lock_when_they_begin(
    tmp_path: Path, use_engine: UseEngine
) -> None:
    """A session's transaction (several statements) begins IMMEDIATE; a lone statement's
    begins DEFERRED, so reads never wait for the writer."""
    engine = await new_database(tmp_path / "app.db")
    use_engine(engine)
    begins: list[str] = []

    def record(*args: Any) -> None:
        if args[2].startswith("BEGIN"):
            begins.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with asynccontextmanager(database.get_db)() as session:
            await session.execute(text("SELECT 1"))
        async with asynccontextmanager(database.get_connection)() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()

    assert begins == ["BEGIN IMMEDIATE", "BEGIN DEFERRED"]


async def test_a_failed_commit_is_never_answered_2xx(tmp_path: Path, use_engine: UseEngine) -> None:
    engine = await new_database(tmp_path / "app.db")

    def fail(_connection: Any) -> None:
        raise RuntimeError("commit failed")

    try:
        async with client_on(use_engine(engine)) as client:
            event.listen(engine.sync_engine, "commit", fail)
            try:
                response = await client.post("/users", json={"email": "a@example.com", "name": "A"})
            finally:
                event.remove(engine.sync_engine, "commit", fail)
            listed = await client.get("/users")
    finally:
        await engine.dispose()

    assert response.status_code == 500
    assert listed.json()["items"] == []


async def test_concurrent_writes_wait_for_each_other(tmp_path: Path, use_engine: UseEngine) -> None:
    engine = await new_database(tmp_path / "app.db")
    try:
        async with client_on(use_engine(engine)) as client:
            created = await asyncio.gather(
                *(
                    client.post("/users", json={"email": f"u{n}@example.com", "name": f"U{n}"})
                    for n in range(10)
                )
            )
            ids = [response.json()["id"] for response in created]
            updated = await asyncio.gather(
                *(client.patch(f"/users/{user_id}", json={"name": "Renamed"}) for user_id in ids)
            )
    finally:
        await engine.dispose()

    assert [response.status_code for response in created] == [201] * 10
    assert [response.status_code for response in updated] == [200] * 10


async def test_a_write_lock_held_too_long_answers_503_and_reads_go_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, use_engine: UseEngine
) -> None:
    monkeypatch.setattr(settings, "database_busy_timeout", 0.1)
    path = tmp_path / "app.db"
    engine = await new_database(path)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        async with client_on(use_engine(engine)) as client:
            holder.execute("BEGIN IMMEDIATE")
            start = time.perf_counter()
            blocked = await client.post("/users", json={"email": "a@example.com", "name": "A"})
            waited = time.perf_counter() - start
            read = await client.get("/users")
            holder.execute("ROLLBACK")
            after = await client.post("/users", json={"email": "a@example.com", "name": "A"})
    finally:
        holder.close()
        await engine.dispose()

    assert blocked.status_code == 503
    assert blocked.headers["Retry-After"] == "5"
    assert 0.05 < waited < 2
    assert read.status_code == 200
    assert after.status_code == 201


async def test_the_id_of_a_deleted_row_is_never_given_again(
    tmp_path: Path, use_engine: UseEngine
) -> None:
    engine = await new_database(tmp_path / "app.db")
    try:
        async with client_on(use_engine(engine)) as client:
            first = await client.post("/users", json={"email": "a@example.com", "name": "A"})
            await client.delete(f"/users/{first.json()['id']}")
            second = await client.post("/users", json={"email": "b@example.com", "name": "B"})
    finally:
        await engine.dispose()

    assert second.json()["id"] > first.json()["id"]


def test_an_unknown_url_option_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stopped:
        create_engine(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}?journal=wal")

    assert str(stopped.value) == "Invalid settings: DATABASE_URL: unknown option journal"
