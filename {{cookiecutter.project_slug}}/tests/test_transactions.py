"""What reaches the database is what the client was told, in a bounded number of statements."""

from typing import Any

from httpx import AsyncClient
from sqlalchemy import event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Session

from {{ cookiecutter.package_name }}.models import Item, User

from .conftest import AddUser


async def count_users(connection: AsyncConnection) -> int:
    return await connection.scalar(select(func.count()).select_from(User)) or 0


async def test_a_failed_commit_is_never_answered_2xx(
    client: AsyncClient, connection: AsyncConnection
) -> None:
    def fail(_session: Session) -> None:
        raise RuntimeError("commit failed")

    event.listen(Session, "before_commit", fail)
    try:
        response = await client.post("/users", json={"email": "ada@example.com", "name": "Ada"})
    finally:
        event.remove(Session, "before_commit", fail)

    assert response.status_code == 500
    assert await count_users(connection) == 0


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
