"""Users: create, read, list, update and delete."""

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..database import DbSession, ReadSession
from ..models import Item, User
from ..schemas import Page, UserCreate, UserRead, UserUpdate, UserWithItems

router = APIRouter(prefix="/users", tags=["users"])


def user_not_found(user_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"User {user_id} not found")


async def get_user_or_404(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise user_not_found(user_id)
    return user


async def items_by_owner(session: AsyncSession, owner_ids: list[int]) -> dict[int, list[Any]]:
    """The items of each owner, in one query whatever the number of owners."""
    items: defaultdict[int, list[Any]] = defaultdict(list)
    if owner_ids:
        query = select(Item.__table__).where(Item.owner_id.in_(owner_ids)).order_by(Item.id)
        for item in await session.execute(query):
            items[item.owner_id].append(item)
    return items


async def flush_unique_email(session: AsyncSession, email: str) -> None:
    """Write pending changes now, so a taken email is answered 409 rather than 500."""
    try:
        await session.flush()
    except IntegrityError:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"A user with email {email!r} already exists"
        ) from None


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, session: DbSession) -> UserRead:
    user = User(**body.model_dump())
    session.add(user)
    await flush_unique_email(session, user.email)
    return UserRead.model_validate(user)


@router.get("")
async def list_users(
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    after: Annotated[int | None, Query(ge=0, description="next_cursor of a previous page")] = None,
) -> Page[UserWithItems]:
    """List users by id with their items; keyset pagination stays fast on deep pages.

    Reads use Core rows, not ORM objects: a read gains nothing from the identity map, and
    building 50 users with their items as ORM objects costs twice the CPU.
    """
    query = select(User.__table__).order_by(User.id).limit(limit + 1)
    if after is not None:
        query = query.where(User.id > after)
    users = (await session.execute(query)).all()
    shown = users[:limit]
    items = await items_by_owner(session, [user.id for user in shown])
    return Page[UserWithItems].model_validate(
        {
            "items": [{**user._mapping, "items": items[user.id]} for user in shown],
            "next_cursor": shown[-1].id if len(users) > limit else None,
        }
    )


@router.get("/{user_id}")
async def get_user(user_id: int, session: ReadSession) -> UserWithItems:
    query = select(User.__table__).where(User.id == user_id)
    user = (await session.execute(query)).first()
    if user is None:
        raise user_not_found(user_id)
    items = await items_by_owner(session, [user_id])
    return UserWithItems.model_validate({**user._mapping, "items": items[user_id]})


@router.patch("/{user_id}")
async def update_user(user_id: int, body: UserUpdate, session: DbSession) -> UserRead:
    user = await get_user_or_404(session, user_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(user, field, value)
    await flush_unique_email(session, user.email)
    return UserRead.model_validate(user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(user_id: int, session: DbSession) -> None:
    """Delete a user; the database deletes the user's items with it."""
    deleted = await session.scalar(delete(User).where(User.id == user_id).returning(User.id))
    if deleted is None:
        raise user_not_found(user_id)
