"""Users: create, read, list, update and delete."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..database import DbConnection, dicts
from ..errors import NotFound, documented
from ..models import Item, User
from ..pagination import Page, PageQuery, keyset, split_page
from ..schemas import Id, UserCreate, UserRead, UserUpdate, UserWithItems

router = APIRouter(prefix="/users", tags=["users"], responses=documented(503))

# Statements are built once, here: building one costs more than running it, and
# SQLAlchemy then reuses its compiled form. Values come as bind parameters.
INSERT = insert(User).returning(User)
SELECT = select(User).where(User.id == bindparam("user_id"))
SELECT_PAGE = keyset(select(User), User.id)
SELECT_ITEMS = select(Item).where(Item.owner_id == bindparam("user_id")).order_by(Item.id)
# A page's users' items in one query; an IN list is expanded on every run, which a
# single user's items need not pay (about 5% of GET /users/{user_id}).
SELECT_ITEMS_OF_MANY = (
    select(Item).where(Item.owner_id.in_(bindparam("owner_ids", expanding=True))).order_by(Item.id)
)
UPDATE = update(User).where(User.id == bindparam("user_id")).returning(User)
DELETE = delete(User).where(User.id == bindparam("user_id")).returning(User.id)


async def items_of(
    connection: AsyncConnection, user_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """The items of each user, in one query whatever the number of users."""
    items: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    if user_ids:
        for item in dicts(await connection.execute(SELECT_ITEMS_OF_MANY, {"owner_ids": user_ids})):
            items[item["owner_id"]].append(item)
    return items


@router.post("", status_code=status.HTTP_201_CREATED, responses=documented(409, 413))
async def create_user(body: UserCreate, connection: DbConnection) -> UserRead:
    user = (await connection.execute(INSERT, body.model_dump())).mappings().one()
    return UserRead.model_validate(user)


@router.get("")
async def list_users(connection: DbConnection, page: PageQuery) -> Page[UserWithItems]:
    """List users by id, each with their items."""
    rows = dicts(await connection.execute(SELECT_PAGE, page.bind()))
    users, next_cursor = split_page(rows, page)
    items = await items_of(connection, [user["id"] for user in users])
    return Page[UserWithItems].model_validate(
        {
            "items": [{**user, "items": items[user["id"]]} for user in users],
            "next_cursor": next_cursor,
        }
    )


@router.get("/{user_id}", responses=documented(404))
async def get_user(user_id: Id, connection: DbConnection) -> UserWithItems:
    user = (await connection.execute(SELECT, {"user_id": user_id})).mappings().first()
    if user is None:
        raise NotFound("User", user_id)
    items = dicts(await connection.execute(SELECT_ITEMS, {"user_id": user_id}))
    return UserWithItems.model_validate({**user, "items": items})


@router.patch("/{user_id}", responses=documented(404, 409, 413))
async def update_user(user_id: Id, body: UserUpdate, connection: DbConnection) -> UserRead:
    params = {"user_id": user_id, **body.model_dump(exclude_unset=True)}
    user = (await connection.execute(UPDATE, params)).mappings().first()
    if user is None:
        raise NotFound("User", user_id)
    return UserRead.model_validate(user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented(404))
async def delete_user(user_id: Id, connection: DbConnection) -> None:
    """Delete a user; the database deletes the user's items with it."""
    if (await connection.execute(DELETE, {"user_id": user_id})).first() is None:
        raise NotFound("User", user_id)
