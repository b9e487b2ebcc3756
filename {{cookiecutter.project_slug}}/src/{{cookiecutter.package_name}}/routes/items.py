"""Items, each owned by a user: create, read, list, update and delete."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import delete, exists, select

from ..database import DbSession
from ..models import Item, User
from ..schemas import ItemCreate, ItemRead, ItemUpdate, Page

router = APIRouter(tags=["items"])


async def get_item_or_404(session: DbSession, item_id: int) -> Item:
    item = await session.get(Item, item_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Item {item_id} not found")
    return item


async def ensure_user_exists(session: DbSession, user_id: int) -> None:
    if not await session.scalar(select(exists().where(User.id == user_id))):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"User {user_id} not found")


@router.post("/users/{user_id}/items", status_code=status.HTTP_201_CREATED)
async def create_item(user_id: int, body: ItemCreate, session: DbSession) -> ItemRead:
    await ensure_user_exists(session, user_id)
    item = Item(owner_id=user_id, **body.model_dump())
    session.add(item)
    await session.flush()
    return ItemRead.model_validate(item)


@router.get("/users/{user_id}/items")
async def list_items(
    user_id: int,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    after: Annotated[int | None, Query(ge=0, description="next_cursor of a previous page")] = None,
) -> Page[ItemRead]:
    """List a user's items by id, with keyset pagination."""
    await ensure_user_exists(session, user_id)
    query = select(Item).where(Item.owner_id == user_id).order_by(Item.id).limit(limit + 1)
    if after is not None:
        query = query.where(Item.id > after)
    return Page[ItemRead].of((await session.scalars(query)).all(), limit)


@router.get("/items/{item_id}")
async def get_item(item_id: int, session: DbSession) -> ItemRead:
    return ItemRead.model_validate(await get_item_or_404(session, item_id))


@router.patch("/items/{item_id}")
async def update_item(item_id: int, body: ItemUpdate, session: DbSession) -> ItemRead:
    item = await get_item_or_404(session, item_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(item, field, value)
    await session.flush()
    return ItemRead.model_validate(item)


@router.delete("/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(item_id: int, session: DbSession) -> None:
    deleted = await session.scalar(delete(Item).where(Item.id == item_id).returning(Item.id))
    if deleted is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Item {item_id} not found")
