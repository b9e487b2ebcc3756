"""Items, each owned by a user: create, read, list, update and delete."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..database import DbSession, ReadSession
from ..models import Item, User
from ..schemas import ItemCreate, ItemRead, ItemUpdate, Page
from .users import user_not_found

router = APIRouter(tags=["items"])


async def get_item_or_404(session: AsyncSession, item_id: int) -> Item:
    item = await session.get(Item, item_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Item {item_id} not found")
    return item


@router.post("/users/{user_id}/items", status_code=status.HTTP_201_CREATED)
async def create_item(user_id: int, body: ItemCreate, session: DbSession) -> ItemRead:
    item = Item(owner_id=user_id, **body.model_dump())
    session.add(item)
    try:
        await session.flush()
    except IntegrityError:
        # The only constraint an item can break is its owner's foreign key; letting the
        # database check it saves a round trip on every create.
        raise user_not_found(user_id) from None
    return ItemRead.model_validate(item)


@router.get("/users/{user_id}/items")
async def list_items(
    user_id: int,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    after: Annotated[int | None, Query(ge=0, description="next_cursor of a previous page")] = None,
) -> Page[ItemRead]:
    """List a user's items by id, with keyset pagination."""
    query = select(Item).where(Item.owner_id == user_id).order_by(Item.id).limit(limit + 1)
    if after is not None:
        query = query.where(Item.id > after)
    items = (await session.scalars(query)).all()
    # Only an empty page needs to tell "no such user" from "no more items".
    if not items and not await session.scalar(select(exists().where(User.id == user_id))):
        raise user_not_found(user_id)
    return Page[ItemRead].model_validate(
        {
            "items": items[:limit],
            "next_cursor": items[limit - 1].id if len(items) > limit else None,
        },
        from_attributes=True,
    )


@router.get("/items/{item_id}")
async def get_item(item_id: int, session: ReadSession) -> ItemRead:
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
