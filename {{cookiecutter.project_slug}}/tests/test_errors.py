"""Every answer is a success, a documented 4xx or a 503: input the database cannot take
is refused before it reaches it, and an error no handler knows is a logged 500."""

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from sqlalchemy import ForeignKeyConstraint, Index, UniqueConstraint
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }} import database
from {{ cookiecutter.package_name }}.config import settings
from {{ cookiecutter.package_name }}.errors import CONSTRAINT_ANSWERS
from {{ cookiecutter.package_name }}.models import MAX_ID, Base

from .conftest import AddItem, AddUser, UseEngine, client_on


async def test_ids_outside_the_columns_range_are_refused(client: AsyncClient) -> None:
    for bad in (0, -1, MAX_ID + 1, 2**64):
        for response in [
            await client.get(f"/users/{bad}"),
            await client.patch(f"/users/{bad}", json={"name": "X"}),
            await client.delete(f"/items/{bad}"),
            await client.get(f"/users/{bad}/items"),
            await client.post(f"/users/{bad}/items", json={"title": "X"}),
        ]:
            assert response.status_code == 422, (bad, response.request.url)
    for cursor in (-1, MAX_ID + 1):
        assert (await client.get("/users", params={"after": cursor})).status_code == 422


async def test_ids_beyond_32_bits_are_just_missing(client: AsyncClient) -> None:
    for big in (2**31, MAX_ID):
        assert (await client.get(f"/users/{big}")).status_code == 404
        assert (await client.post(f"/users/{big}/items", json={"title": "X"})).status_code == 404
        assert (await client.get("/users", params={"after": big})).json()["items"] == []


@pytest.mark.parametrize("text", ["nul\x00byte", "lone \ud800 surrogate"])
async def test_text_the_database_cannot_store_is_refused(
    client: AsyncClient, add_user: AddUser, text: str
) -> None:
    user_id = await add_user()
    json_body = {"content-type": "application/json"}

    created = await client.post(
        "/users", content=json.dumps({"email": "eve@example.com", "name": text}), headers=json_body
    )
    renamed = await client.patch(
        f"/users/{user_id}", content=json.dumps({"name": text}), headers=json_body
    )

    assert created.status_code == 422
    assert renamed.status_code == 422
    assert (await client.get(f"/users/{user_id}")).json()["name"] == "Ada"


async def test_non_finite_numbers_are_refused(client: AsyncClient) -> None:
    for number in ("NaN", "Infinity", "-Infinity"):
        response = await client.post(
            "/users",
            content='{"email": ' + number + ', "name": "Ada"}',
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 422, number


async def test_a_body_that_cannot_be_decoded_is_a_422_like_malformed_json(
    client: AsyncClient,
) -> None:
    """Not UTF-8, or nested too deep for the parser: FastAPI's own answer is an
    undocumented 400."""
    json_body = {"content-type": "application/json"}
    for content in (b'{"name": "\xff"}', b"[" * 100_000 + b"]" * 100_000, b'{"name": '):
        response = await client.post("/users", content=content, headers=json_body)
        assert response.status_code == 422, content[:20]
        assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_a_405_allows_every_method_of_the_path(client: AsyncClient) -> None:
    allowed = {
        "/users": "GET, POST",
        "/users/1": "GET, PATCH, DELETE",
        "/items/1": "GET, PATCH, DELETE",
    }
    for path, methods in allowed.items():
        response = await client.put(path)
        assert response.status_code == 405, path
        assert response.headers["allow"] == methods


async def test_a_422_echoes_only_an_excerpt(client: AsyncClient) -> None:
    response = await client.post("/users", json={"email": "x" * 100_000, "name": "Ada"})

    assert response.status_code == 422
    assert len(response.content) < 1000


async def test_a_body_over_the_limit_is_refused_unread(client: AsyncClient) -> None:
    huge = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'

    declared = await client.post(
        "/users", content=huge, headers={"content-type": "application/json"}
    )

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(huge), 65536):
            yield huge[start : start + 65536]

    streamed = await client.post(
        "/users", content=stream(), headers={"content-type": "application/json"}
    )

    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json() == {"detail": "Request body too large"}


async def test_emails_are_unique_whatever_their_case(
    client: AsyncClient, add_user: AddUser
) -> None:
    await add_user("Ann@Example.com", "Ann")
    other = await add_user("bob@example.com", "Bob")

    created = await client.post("/users", json={"email": "ann@example.COM", "name": "Ann 2"})
    changed = await client.patch(f"/users/{other}", json={"email": "ANN@example.com"})

    assert created.status_code == 409
    assert changed.status_code == 409
    assert created.json() == {"detail": "A user with this email already exists"}


async def test_an_unknown_constraint_is_a_logged_500_without_the_data(
    client: AsyncClient,
    add_user: AddUser,
    add_item: AddItem,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A constraint without an answer is a bug: 500, logged once, with the request id and
    a traceback, but never the values the statement carried."""
    monkeypatch.delitem(CONSTRAINT_ANSWERS, "fk_items_owner_id_users")
    logger = logging.getLogger("{{ cookiecutter.package_name }}")
    logger.addHandler(caplog.handler)
    try:
        response = await client.post(
            "/users/999999/items", json={"title": "secret-title"}, headers={"X-Request-ID": "r-1"}
        )
    finally:
        logger.removeHandler(caplog.handler)

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    (error,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert getattr(error, "request_id", None) == "r-1"
    assert error.exc_info is not None
    assert "secret-title" not in caplog.text


def test_every_constraint_a_client_can_break_has_an_answer() -> None:
    """Unique indexes and constraints, and foreign keys: a client's input can break them."""
    breakable = {
        str(constraint.name)
        for table in Base.metadata.tables.values()
        for constraint in [*table.indexes, *table.constraints]
        if (isinstance(constraint, Index) and constraint.unique)
        or isinstance(constraint, UniqueConstraint | ForeignKeyConstraint)
    }

    assert set(CONSTRAINT_ANSWERS) == breakable


async def test_constraint_answers_name_the_route_parameters(
    client: AsyncClient, add_user: AddUser
) -> None:
    """Each message formats with the path parameters of the route that can break it."""
    await add_user("ada@example.com")

    taken = await client.post("/users", json={"email": "ada@example.com", "name": "Ada"})
    orphan = await client.post("/users/424242/items", json={"title": "Orphan"})

    assert taken.status_code == 409
    assert orphan.status_code == 404
    assert orphan.json() == {"detail": "User 424242 not found"}


async def test_a_request_waits_for_a_connection_at_most_the_pool_timeout(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, use_engine: UseEngine
) -> None:
    monkeypatch.setattr(settings, "database_pool_timeout", 0.05)
    monkeypatch.setattr(database.turn, "semaphore", asyncio.Semaphore(0))  # every turn taken
    async with client_on(use_engine(engine)) as client:
        start = time.perf_counter()
        response = await client.get("/users/1")
        waited = time.perf_counter() - start

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert 0.05 <= waited < 1


async def test_the_openapi_document_tells_the_truth(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    paths = document["paths"]

    assert set(paths["/users/{user_id}"]["patch"]["responses"]) >= {
        "200",
        "404",
        "409",
        "413",
        "422",
        "503",
    }
    assert set(paths["/users/{user_id}/items"]["post"]["responses"]) >= {
        "201",
        "404",
        "413",
        "422",
        "503",
    }
    (user_id,) = paths["/users/{user_id}"]["get"]["parameters"]
    assert user_id["schema"]["minimum"] == 1
    assert user_id["schema"]["maximum"] == MAX_ID
    update = document["components"]["schemas"]["UserUpdate"]["properties"]
    assert all("null" not in json.dumps(field) for field in update.values())
