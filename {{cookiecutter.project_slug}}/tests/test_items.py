"""The item routes, including every error they answer."""

from httpx import AsyncClient

from .conftest import AddItem, AddUser


async def test_create_and_get_item(client: AsyncClient, add_user: AddUser) -> None:
    user_id = await add_user()

    created = await client.post(
        f"/users/{user_id}/items", json={"title": "Write tests", "description": "All of them"}
    )
    fetched = await client.get(f"/items/{created.json()['id']}")

    assert created.status_code == 201
    assert fetched.status_code == 200
    assert fetched.json() == created.json()
    assert fetched.json()["owner_id"] == user_id
    assert fetched.json()["description"] == "All of them"


async def test_item_for_missing_user_is_not_found(client: AsyncClient) -> None:
    response = await client.post("/users/999999/items", json={"title": "Orphan"})

    assert response.status_code == 404
    assert response.json() == {"detail": "User 999999 not found"}
    assert (await client.get("/users/999999/items")).status_code == 404


async def test_invalid_item_bodies_are_rejected(client: AsyncClient, add_user: AddUser) -> None:
    user_id = await add_user()

    for body in [{}, {"title": ""}, {"title": "x" * 201}, {"title": "Ok", "owner_id": 2}]:
        response = await client.post(f"/users/{user_id}/items", json=body)
        assert response.status_code == 422, body

    assert (await client.get(f"/users/{user_id}/items")).json()["items"] == []


async def test_list_items_pages_by_cursor(
    client: AsyncClient, add_user: AddUser, add_item: AddItem
) -> None:
    user_id = await add_user()
    other = await add_user("bob@example.com", "Bob")
    ids = [await add_item(user_id, f"Item {n}") for n in range(3)]
    await add_item(other, "Not Ada's")

    first = (await client.get(f"/users/{user_id}/items", params={"limit": 2})).json()
    rest = (
        await client.get(f"/users/{user_id}/items", params={"after": first["next_cursor"]})
    ).json()

    assert [item["id"] for item in first["items"]] == ids[:2]
    assert [item["id"] for item in rest["items"]] == ids[2:]
    assert rest["next_cursor"] is None


async def test_update_item(client: AsyncClient, add_user: AddUser, add_item: AddItem) -> None:
    item_id = await add_item(await add_user())

    response = await client.patch(f"/items/{item_id}", json={"description": "Now with detail"})

    assert response.status_code == 200
    assert response.json()["title"] == "Write tests"
    assert response.json()["description"] == "Now with detail"


async def test_update_item_rejects_null_title(
    client: AsyncClient, add_user: AddUser, add_item: AddItem
) -> None:
    item_id = await add_item(await add_user())

    response = await client.patch(f"/items/{item_id}", json={"title": None})

    assert response.status_code == 422
    assert (await client.get(f"/items/{item_id}")).json()["title"] == "Write tests"


async def test_delete_item(client: AsyncClient, add_user: AddUser, add_item: AddItem) -> None:
    item_id = await add_item(await add_user())

    assert (await client.delete(f"/items/{item_id}")).status_code == 204
    assert (await client.get(f"/items/{item_id}")).status_code == 404


async def test_missing_item_is_not_found(client: AsyncClient) -> None:
    for response in [
        await client.get("/items/999999"),
        await client.patch("/items/999999", json={"title": "Nothing"}),
        await client.delete("/items/999999"),
    ]:
        assert response.status_code == 404
        assert response.json() == {"detail": "Item 999999 not found"}
