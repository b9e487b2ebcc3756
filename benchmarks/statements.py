"""Count the SQL a request costs, in-process; runs in an app's own venv.

Usage: python statements.py generated|reference SPEC_JSON

SPEC_JSON: {"users": N, "concurrency": C, "load": L, "endpoints": [{"name", "method",
"path", "body"}, ...]} with loadgen.fill's placeholders in path and body. For each
endpoint:

- one warm request fills the prepared-statement caches, then one request is counted:
  what SQLAlchemy's events see (generated app only) and the database round trips
  asyncpg makes (both apps), with their SQL;
- then L requests from C concurrent clients, after as many to warm up the pool:
  round trips per request and new database connections under concurrency.

Prints one JSON object. Round trips are counted by wrapping asyncpg's public query
methods, one count per outermost call: a transaction's BEGIN/COMMIT/ROLLBACK, a
prepare that missed the cache, an execution, and `pool_pre_ping`'s ping.
"""

import asyncio
import contextvars
import functools
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from asyncpg.prepared_stmt import PreparedStatement  # type: ignore[import-untyped]
from loadgen import fill

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("depth", default=0)
round_trips: list[str] = []
connects = [0]


def _short(sql: str) -> str:
    return " ".join(sql.split())[:90]


def _counting(method: Callable[..., Awaitable[Any]], prepared: bool) -> Callable[..., Any]:
    @functools.wraps(method)
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _depth.get() == 0:
            sql = self.get_query() if prepared else (args[0] if args else kwargs.get("query", ""))
            label = "prepare" if method.__name__ == "prepare" else "execute"
            round_trips.append(f"{label}: {_short(sql) if sql.strip(' ;') else '; (ping)'}")
        token = _depth.set(_depth.get() + 1)
        try:
            return await method(self, *args, **kwargs)
        finally:
            _depth.reset(token)

    return wrapper


def _counting_connect(connect: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    @functools.wraps(connect)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        connects[0] += 1
        token = _depth.set(1)  # a new connection's own set-up queries are not the request's
        try:
            return await connect(*args, **kwargs)
        finally:
            _depth.reset(token)

    return wrapper


def instrument_asyncpg() -> None:
    for name in ("execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare"):
        setattr(asyncpg.Connection, name, _counting(getattr(asyncpg.Connection, name), False))
    for name in ("fetch", "fetchrow", "fetchval", "executemany"):
        setattr(PreparedStatement, name, _counting(getattr(PreparedStatement, name), True))
    counted = _counting_connect(asyncpg.connection.connect)
    asyncpg.connect = asyncpg.connection.connect = counted


class SqlAlchemyCounter:
    """Statements, transaction events and pre-pings, as SQLAlchemy reports them."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def reset(self) -> None:
        self.counts = {"statements": 0, "begin": 0, "commit": 0, "rollback": 0, "pings": 0}

    def attach(self, engine: Any) -> None:
        from sqlalchemy import event

        sync_engine = engine.sync_engine

        def bump(key: str) -> Callable[..., None]:
            def listener(*_args: Any, **_kwargs: Any) -> None:
                self.counts[key] += 1

            return listener

        event.listen(sync_engine, "before_cursor_execute", bump("statements"))
        event.listen(sync_engine, "begin", bump("begin"))
        event.listen(sync_engine, "commit", bump("commit"))
        event.listen(sync_engine, "rollback", bump("rollback"))
        dialect = sync_engine.dialect
        do_ping = dialect.do_ping

        def counted_ping(dbapi_connection: Any) -> bool:
            self.counts["pings"] += 1
            return bool(do_ping(dbapi_connection))

        dialect.do_ping = counted_ping
        self.reset()


class Requests:
    """Concrete requests for one endpoint, numbered as the load generators number them."""

    def __init__(self, endpoint: dict[str, str], users: int, tag: str) -> None:
        self.endpoint, self.users, self.tag, self.n = endpoint, users, tag, 0

    def next(self) -> dict[str, Any]:
        self.n += 1
        body = self.endpoint["body"]
        return {
            "method": self.endpoint["method"],
            "path": fill(self.endpoint["path"], self.n, self.users, self.tag),
            "body": json.loads(fill(body, self.n, self.users, self.tag)) if body else None,
        }


async def send(client: httpx.AsyncClient, request: dict[str, Any]) -> None:
    response = await client.request(request["method"], request["path"], json=request["body"])
    if response.status_code >= 400:
        raise SystemExit(f"{request['method']} {request['path']}: {response.status_code}")


async def concurrently(client: httpx.AsyncClient, requests: Requests, total: int, c: int) -> None:
    remaining = [total]

    async def worker() -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            await send(client, requests.next())

    await asyncio.gather(*(worker() for _ in range(c)))


async def main(which: str, spec: dict[str, Any]) -> None:
    instrument_asyncpg()
    counter = SqlAlchemyCounter()
    if which == "generated":
        from my_service.database import engine
        from my_service.main import create_app

        counter.attach(engine)
        app: Any = create_app()
        close: Callable[[], Awaitable[None]] = engine.dispose
    else:
        import refapp

        await refapp.open_pool()
        app, close = refapp.app, refapp.close_pool
    result: dict[str, Any] = {}
    load, concurrency = spec["load"], spec["concurrency"]
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            # Single requests first, while the pool holds one connection with warm caches.
            for endpoint in spec["endpoints"]:
                requests = Requests(endpoint, spec["users"], f"{which[0]}s")
                await send(client, requests.next())
                counter.reset()
                round_trips.clear()
                await send(client, requests.next())
                entry: dict[str, Any] = {"round_trips": len(round_trips), "sql": list(round_trips)}
                if which == "generated":
                    entry["sqlalchemy"] = dict(counter.counts)
                result[endpoint["name"]] = entry
            for endpoint in spec["endpoints"]:
                requests = Requests(endpoint, spec["users"], f"{which[0]}c")
                await concurrently(client, requests, load, concurrency)
                round_trips.clear()
                connects[0] = 0
                await concurrently(client, requests, load, concurrency)
                result[endpoint["name"]]["load"] = {
                    "round_trips": len(round_trips) / load,
                    "connects": connects[0],
                }
    finally:
        await close()
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], json.loads(sys.argv[2])))
