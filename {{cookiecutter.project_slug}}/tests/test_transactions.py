"""What reaches the database is what the client was told, in a bounded number of statements."""

from contextlib import asynccontextmanager
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker

from {{ cookiecutter.package_name }} import database
from {{ cookiecutter.package_name }}.models import Item, User

from .conftest import AddUser


async def count_users(connection: AsyncConnection) -> int:
    return await connection.scalar(select(func.count()).select_from(User)) or 0


async def test_a_session_commits_what_returned_and_rolls_back_what_raised(
    connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """get_db, the dependency for writes of several statements: all of them or none."""
    sessions = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    monkeypatch.setattr(database, "SessionLocal", sessions)
    session_of = asynccontextmanager(database.get_db)

    async with session_of() as session:
        await session.execute(insert(User).values(email="kept@example.com", name="Kept"))
        await session.execute(insert(User).values(email="also@example.com", name="Also"))

    async def fail_after_a_write() -> None:
        async with session_of() as session:
            await session.execute(insert(User).values(email="lost@example.com", name="Lost"))
            raise RuntimeError("the route failed")

    with pytest.raises(RuntimeError):
        await fail_after_a_write()

    assert await count_users(connection) == 2


async def test_a_failed_request_keeps_none_of_its_writes(
    client: AsyncClient, add_user: AddUser
) -> None:
    await add_user("ada@example.com", "Ada")
    bob = await add_user("bob@example.com", "Bob")

    response = await client.patch(
        f"/users/{bob}", json={"name": "Robert", "email": "ada@example.com"}
    )

    assert response.status_code == 409
    assert (await client.get(f"/users/{bob}")).json()["name"] == "Bob"


async def test_listing_users_costs_the_same_statements_for_1_or_20(
    client: AsyncClient, connection: AsyncConnection
) -> None:
    """N+1 guard: the list with items is one SELECT for users and one for their items."""

    async def add_users(start: int, stop: int) -> None:
        users = await connection.execute(
            insert(User).returning(User.id),
            [{"email": f"user{n}@example.com", "name": f"User {n}"} for n in range(start, stop)],
        )
        await connection.execute(
            insert(Item),
            [
                {"owner_id": user_id, "title": title}
                for user_id in users.scalars()
                for title in "ab"
            ],
        )

    async def list_statements() -> list[str]:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        event.listen(connection.sync_engine, "before_cursor_execute", record)
        try:
            response = await client.get("/users", params={"limit": 100})
        finally:
            event.remove(connection.sync_engine, "before_cursor_execute", record)
        assert response.status_code == 200
        return [s for s in statements if s.lstrip().upper().startswith("SELECT")]

    await add_users(0, 1)
    with_one = await list_statements()
    await add_users(1, 20)
    with_twenty = await list_statements()

    assert len(with_one) == 2, with_one
    assert len(with_twenty) == 2, with_twenty
