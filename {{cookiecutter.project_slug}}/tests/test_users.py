"""The /users routes, including every error they answer."""

from httpx import AsyncClient

from .conftest import AddItem, AddUser


async def test_create_user_returns_it(client: AsyncClient) -> None:
    response = await client.post("/users", json={"email": "ada@example.com", "name": " Ada "})

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert body["name"] == "Ada"
    assert body["created_at"] <= body["updated_at"]


async def test_taken_email_is_a_conflict_and_keeps_the_first_user(
    client: AsyncClient, add_user: AddUser
) -> None:
    user_id = await add_user()

    response = await client.post("/users", json={"email": "ada@example.com", "name": "Other"})

    assert response.status_code == 409
    assert response.json() == {"detail": "A user with this email already exists"}
    assert (await client.get(f"/users/{user_id}")).json()["name"] == "Ada"


async def test_invalid_bodies_are_rejected(client: AsyncClient) -> None:
    bad_bodies = [
        {"email": "not-an-email", "name": "Ada"},
        {"email": "ada@example.com", "name": ""},
        {"email": "ada@example.com", "name": "x" * 101},
        {"email": "ada@example.com"},
        {"email": "ada@example.com", "name": "Ada", "is_admin": True},
    ]
    for body in bad_bodies:
        response = await client.post("/users", json=body)
        assert response.status_code == 422, body

    assert (await client.get("/users")).json()["items"] == []


async def test_malformed_json_is_rejected(client: AsyncClient) -> None:
    response = await client.post(
        "/users", content=b'{"email": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 422


async def test_get_user_includes_items(
    client: AsyncClient, add_user: AddUser, add_item: AddItem
) -> None:
    user_id = await add_user()
    await add_item(user_id, "First")

    response = await client.get(f"/users/{user_id}")

    assert response.status_code == 200
    assert [item["title"] for item in response.json()["items"]] == ["First"]


async def test_missing_user_is_not_found(client: AsyncClient) -> None:
    for response in [
        await client.get("/users/999999"),
        await client.patch("/users/999999", json={"name": "Nobody"}),
        await client.delete("/users/999999"),
    ]:
        assert response.status_code == 404
        assert response.json() == {"detail": "User 999999 not found"}


async def test_list_users_pages_by_cursor(client: AsyncClient, add_user: AddUser) -> None:
    ids = [await add_user(f"user{n}@example.com", f"User {n}") for n in range(5)]

    first = (await client.get("/users", params={"limit": 2})).json()
    second = (await client.get("/users", params={"limit": 2, "after": first["next_cursor"]})).json()
    last = (await client.get("/users", params={"limit": 2, "after": second["next_cursor"]})).json()

    assert [user["id"] for user in first["items"]] == ids[:2]
    assert [user["id"] for user in second["items"]] == ids[2:4]
    assert [user["id"] for user in last["items"]] == ids[4:]
    assert last["next_cursor"] is None


async def test_page_size_is_bounded(client: AsyncClient) -> None:
    assert (await client.get("/users", params={"limit": 101})).status_code == 422
    assert (await client.get("/users", params={"limit": 0})).status_code == 422
    assert (await client.get("/users", params={"after": -1})).status_code == 422


async def test_update_user_changes_only_given_fields(
    client: AsyncClient, add_user: AddUser
) -> None:
    user_id = await add_user()

    response = await client.patch(f"/users/{user_id}", json={"name": "Ada Lovelace"})

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Ada Lovelace"
    assert body["email"] == "ada@example.com"
    assert body["updated_at"] > body["created_at"]


async def test_update_to_a_taken_email_is_a_conflict(
    client: AsyncClient, add_user: AddUser
) -> None:
    await add_user("ada@example.com")
    other = await add_user("bob@example.com", "Bob")

    response = await client.patch(f"/users/{other}", json={"email": "ada@example.com"})

    assert response.status_code == 409
    assert (await client.get(f"/users/{other}")).json()["email"] == "bob@example.com"


async def test_update_rejects_nulls_and_unknown_fields(
    client: AsyncClient, add_user: AddUser
) -> None:
    user_id = await add_user()

    null = await client.patch(f"/users/{user_id}", json={"name": None})
    unknown = await client.patch(f"/users/{user_id}", json={"nickname": "A"})

    assert null.status_code == 422
    assert "may not be null: name" in null.text
    assert unknown.status_code == 422
    assert (await client.get(f"/users/{user_id}")).json()["name"] == "Ada"


async def test_delete_user_deletes_their_items(
    client: AsyncClient, add_user: AddUser, add_item: AddItem
) -> None:
    user_id = await add_user()
    item_id = await add_item(user_id, "Mine")

    response = await client.delete(f"/users/{user_id}")

    assert response.status_code == 204
    assert (await client.get(f"/users/{user_id}")).status_code == 404
    assert (await client.get(f"/items/{item_id}")).status_code == 404
