"""Calling the generated application in-process as an ASGI server would, from concurrent
tasks: what `observability_cost.py` and `instructions.py` share. Imported by the drivers
they run in the project's environment (their PYTHONPATH holds this folder); standard
library only."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

App = Callable[..., Awaitable[None]]


async def call(app: App, method: str, path: str, body: bytes = b"", query: bytes = b"") -> int:
    """One request to `app`, as a JSON client sends it; its status."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": query, "root_path": "", "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"bench"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
    }  # fmt: skip
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # no disconnect while the request is served
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def drive(
    request: Callable[[int], Awaitable[int]], start: int, count: int, tasks: int
) -> None:
    """Requests number `start` to `start + count - 1`, spread over `tasks` concurrent tasks;
    any answer other than 200 or 201 stops the run."""

    async def task(first: int) -> None:
        for n in range(first, start + count, tasks):
            status = await request(n)
            assert status in (200, 201), (n, status)

    await asyncio.gather(*(task(start + t) for t in range(tasks)))
