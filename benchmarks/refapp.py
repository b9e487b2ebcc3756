"""The reference app: the generated service's endpoints in Starlette + raw asyncpg.

It is the practical limit the generated app is compared with: the same routes, the
same SQL statements and the same JSON, written by hand for speed. It differs only
where a fast hand-written service would:

- no ORM, no Pydantic: rows go straight from asyncpg records to orjson;
- a transaction only where a route reads then writes (PATCH, POST item); a
  single-statement write or a read runs on its own (at READ COMMITTED, wrapping
  reads in BEGIN/COMMIT gives them no common snapshot anyway);
- no ping on checkout and no RESET on release of a pooled connection.

Run: `uvicorn refapp:app --app-dir benchmarks` with REFAPP_DSN=postgresql://...
"""

import os
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

USER_COLUMNS = "id, email, name, created_at, updated_at"
ITEM_COLUMNS = "id, owner_id, title, description, created_at, updated_at"
ITEMS_OF = f"SELECT {ITEM_COLUMNS} FROM items WHERE owner_id = ANY($1::bigint[]) ORDER BY id"
ITEMS_OF_ONE = f"SELECT {ITEM_COLUMNS} FROM items WHERE owner_id = $1 ORDER BY id"
MAX_ID = 2**63 - 1
TAKEN = "A user with this email already exists"
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# field name -> (max length, min length); descriptions may be empty.
USER_FIELDS = {"email": (320, 3), "name": (100, 1)}
ITEM_FIELDS = {"title": (200, 1), "description": (10_000, 0)}

pool: Any = None


async def _no_reset(_connection: Any) -> None:
    """Skip asyncpg's RESET round trip on release: these routes change no session state."""


async def open_pool() -> None:
    global pool
    pool = await asyncpg.create_pool(
        os.environ["REFAPP_DSN"],
        min_size=int(os.environ.get("REFAPP_POOL_MIN", "5")),
        max_size=int(os.environ.get("REFAPP_POOL_MAX", "10")),
        reset=_no_reset,
    )


async def close_pool() -> None:
    await pool.close()


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    await open_pool()
    yield
    await close_pool()


class HttpError(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        self.status, self.detail = status, detail


def json_response(data: Any, status: int = 200) -> Response:
    return Response(
        orjson.dumps(data, option=orjson.OPT_UTC_Z), status, media_type="application/json"
    )


def not_found(kind: str, key: int) -> HttpError:
    return HttpError(404, f"{kind} {key} not found")


def int_param(request: Request, name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HttpError(422, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise HttpError(422, f"{name} out of range")
    return value


async def body_of(
    request: Request, fields: dict[str, tuple[int, int]], partial: bool
) -> dict[str, str]:
    """The validated JSON body: known string fields, stripped, within their lengths."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise HttpError(422, "body is not JSON") from None
    if not isinstance(body, dict) or set(body) - set(fields):
        raise HttpError(422, "unknown field")
    for name, (longest, shortest) in fields.items():
        if name not in body:
            if not partial and shortest > 0:
                raise HttpError(422, f"{name} is required")
            continue
        value = body[name]
        if not isinstance(value, str):
            raise HttpError(422, f"{name} must be a string")
        value = body[name] = value.strip()
        if not shortest <= len(value) <= longest or (
            name == "email" and not EMAIL.fullmatch(value)
        ):
            raise HttpError(422, f"{name} is invalid")
    return body


def endpoint(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """Turn an HttpError into FastAPI's error body, {"detail": ...}."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)  # type: ignore[no-any-return]
        except HttpError as error:
            return json_response({"detail": error.detail}, error.status)

    return wrapped


def with_items(users: list[Any], items: list[Any]) -> list[dict[str, Any]]:
    by_owner: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        by_owner.setdefault(item["owner_id"], []).append(dict(item))
    return [{**dict(user), "items": by_owner.get(user["id"], [])} for user in users]


def page(rows: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    next_cursor = rows[limit - 1]["id"] if len(rows) > limit else None
    return {"items": rows[:limit], "next_cursor": next_cursor}


async def apply_update(
    table: str, columns: str, key: int, changes: dict[str, str]
) -> dict[str, Any] | None:
    """One UPDATE ... RETURNING of the given columns and updated_at, as the generated app
    does; None when no row has that id."""
    values: dict[str, Any] = {**changes, "updated_at": datetime.now(UTC)}
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(values, start=1))
    row = await pool.fetchrow(
        f"UPDATE {table} SET {sets} WHERE id = ${len(values) + 1} RETURNING {columns}",
        *values.values(),
        key,
    )
    return dict(row) if row is not None else None


@endpoint
async def create_user(request: Request) -> Response:
    body = await body_of(request, USER_FIELDS, partial=False)
    now = datetime.now(UTC)
    try:
        user_id = await pool.fetchval(
            "INSERT INTO users (email, name, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4) RETURNING id",
            body["email"],
            body["name"],
            now,
            now,
        )
    except asyncpg.UniqueViolationError:
        raise HttpError(409, TAKEN) from None
    user = {
        "id": user_id,
        "email": body["email"],
        "name": body["name"],
        "created_at": now,
        "updated_at": now,
    }
    return json_response(user, 201)


@endpoint
async def list_users(request: Request) -> Response:
    limit = int_param(request, "limit", 50, 1, 100)
    after = int_param(request, "after", 0, 0, MAX_ID)
    assert limit is not None
    async with pool.acquire() as conn:
        users = await conn.fetch(
            f"SELECT {USER_COLUMNS} FROM users WHERE id > $1 ORDER BY id LIMIT $2",
            after,
            limit + 1,
        )
        items = await conn.fetch(ITEMS_OF, [u["id"] for u in users]) if users else []
    return json_response(page(with_items(users, items), limit))


@endpoint
async def get_user(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    async with pool.acquire() as conn:
        user = await conn.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1", user_id)
        if user is None:
            raise not_found("User", user_id)
        items = await conn.fetch(ITEMS_OF_ONE, user_id)
    return json_response(with_items([user], items)[0])


@endpoint
async def update_user(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    body = await body_of(request, USER_FIELDS, partial=True)
    try:
        result = await apply_update("users", USER_COLUMNS, user_id, body)
    except asyncpg.UniqueViolationError:
        raise HttpError(409, TAKEN) from None
    if result is None:
        raise not_found("User", user_id)
    return json_response(result)


@endpoint
async def delete_user(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    if await pool.fetchval("DELETE FROM users WHERE id = $1 RETURNING id", user_id) is None:
        raise not_found("User", user_id)
    return Response(status_code=204)


@endpoint
async def create_item(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    body = await body_of(request, ITEM_FIELDS, partial=False)
    description = body.get("description", "")
    now = datetime.now(UTC)
    # Like the generated app: the foreign key tells a missing user, no SELECT first.
    try:
        item_id = await pool.fetchval(
            "INSERT INTO items (owner_id, title, description, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5) RETURNING id",
            user_id,
            body["title"],
            description,
            now,
            now,
        )
    except asyncpg.ForeignKeyViolationError:
        raise not_found("User", user_id) from None
    item = {
        "id": item_id,
        "owner_id": user_id,
        "title": body["title"],
        "description": description,
        "created_at": now,
        "updated_at": now,
    }
    return json_response(item, 201)


@endpoint
async def list_items(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    limit = int_param(request, "limit", 50, 1, 100)
    after = int_param(request, "after", 0, 0, MAX_ID)
    assert limit is not None
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT {ITEM_COLUMNS} FROM items"
            " WHERE owner_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            user_id,
            after,
            limit + 1,
        )
        # Like the generated app: only an empty page asks whether the user exists.
        if not rows and not await conn.fetchval(
            "SELECT EXISTS (SELECT * FROM users WHERE id = $1)", user_id
        ):
            raise not_found("User", user_id)
    return json_response(page([dict(r) for r in rows], limit))


@endpoint
async def get_item(request: Request) -> Response:
    item_id = request.path_params["item_id"]
    item = await pool.fetchrow(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = $1", item_id)
    if item is None:
        raise not_found("Item", item_id)
    return json_response(dict(item))


@endpoint
async def update_item(request: Request) -> Response:
    item_id = request.path_params["item_id"]
    body = await body_of(request, ITEM_FIELDS, partial=True)
    result = await apply_update("items", ITEM_COLUMNS, item_id, body)
    if result is None:
        raise not_found("Item", item_id)
    return json_response(result)


@endpoint
async def delete_item(request: Request) -> Response:
    item_id = request.path_params["item_id"]
    if await pool.fetchval("DELETE FROM items WHERE id = $1 RETURNING id", item_id) is None:
        raise not_found("Item", item_id)
    return Response(status_code=204)


app = Starlette(
    routes=[
        Route("/users", create_user, methods=["POST"]),
        Route("/users", list_users, methods=["GET"]),
        Route("/users/{user_id:int}", get_user, methods=["GET"]),
        Route("/users/{user_id:int}", update_user, methods=["PATCH"]),
        Route("/users/{user_id:int}", delete_user, methods=["DELETE"]),
        Route("/users/{user_id:int}/items", create_item, methods=["POST"]),
        Route("/users/{user_id:int}/items", list_items, methods=["GET"]),
        Route("/items/{item_id:int}", get_item, methods=["GET"]),
        Route("/items/{item_id:int}", update_item, methods=["PATCH"]),
        Route("/items/{item_id:int}", delete_item, methods=["DELETE"]),
    ],
    lifespan=lifespan,
)
