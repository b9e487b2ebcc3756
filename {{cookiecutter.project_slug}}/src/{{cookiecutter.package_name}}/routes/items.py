"""Items, each owned by a user: create, read, list, update and delete."""

from fastapi import APIRouter, status
from sqlalchemy import bindparam, delete, exists, insert, select, update

from ..database import DbConnection, dicts
from ..errors import NotFound, documented
from ..models import Item, User
from ..pagination import Page, PageQuery, keyset, split_page
from ..schemas import Id, ItemCreate, ItemRead, ItemUpdate

router = APIRouter(tags=["items"], responses=documented(503))

# Statements are built once, here: building one costs more than running it, and
# SQLAlchemy then reuses its compiled form. Values come as bind parameters.
INSERT = insert(Item).returning(Item)
SELECT = select(Item).where(Item.id == bindparam("item_id"))
SELECT_PAGE = keyset(select(Item).where(Item.owner_id == bindparam("user_id")), Item.id)
USER_EXISTS = select(exists().where(User.id == bindparam("user_id")))
UPDATE = update(Item).where(Item.id == bindparam("item_id")).returning(Item)
DELETE = delete(Item).where(Item.id == bindparam("item_id")).returning(Item.id)


@router.post(
    "/users/{user_id}/items", status_code=status.HTTP_201_CREATED, responses=documented(404, 413)
)
async def create_item(user_id: Id, body: ItemCreate, connection: DbConnection) -> ItemRead:
    """Create an item; a missing user breaks the foreign key, which answers 404."""
    params = {"owner_id": user_id, **body.model_dump()}
    item = (await connection.execute(INSERT, params)).mappings().one()
    return ItemRead.model_validate(item)


@router.get("/users/{user_id}/items", responses=documented(404))
async def list_items(user_id: Id, connection: DbConnection, page: PageQuery) -> Page[ItemRead]:
    """List a user's items by id."""
    params = {"user_id": user_id, **page.bind()}
    rows = dicts(await connection.execute(SELECT_PAGE, params))
    # Only an empty page needs to tell "no such user" from "no more items".
    if not rows and not await connection.scalar(USER_EXISTS, {"user_id": user_id}):
        raise NotFound("User", user_id)
    items, next_cursor = split_page(rows, page)
    return Page[ItemRead].model_validate({"items": items, "next_cursor": next_cursor})


@router.get("/items/{item_id}", responses=documented(404))
async def get_item(item_id: Id, connection: DbConnection) -> ItemRead:
    item = (await connection.execute(SELECT, {"item_id": item_id})).mappings().first()
    if item is None:
        raise NotFound("Item", item_id)
    return ItemRead.model_validate(item)


@router.patch("/items/{item_id}", responses=documented(404, 413))
async def update_item(item_id: Id, body: ItemUpdate, connection: DbConnection) -> ItemRead:
    params = {"item_id": item_id, **body.model_dump(exclude_unset=True)}
    item = (await connection.execute(UPDATE, params)).mappings().first()
    if item is None:
        raise NotFound("Item", item_id)
    return ItemRead.model_validate(item)


@router.delete(
    "/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented(404)
)
async def delete_item(item_id: Id, connection: DbConnection) -> None:
    if (await connection.execute(DELETE, {"item_id": item_id})).first() is None:
        raise NotFound("Item", item_id)
