"""SQLite under concurrent writes, over real HTTP: 32 clients create, rename and delete
users and create items against uvicorn with one worker, then two, on a new database file.

Every answer must be the expected success or a documented 4xx: no 5xx, and no 503 either
(a write waits for SQLite's lock under the busy timeout; it does not fail). Afterwards the
file must hold exactly what the answers acknowledged. Run with `-s` to see the figures.
"""

import asyncio
import random
import sqlite3
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from .baking import Project, combinations
from .serving import serving

CLIENTS = 32
DURATION = 8.0  # seconds of traffic per run
MAX_REQUESTS = 5000  # per run, however fast the server answers
REQUEST_TIMEOUT = 30.0  # seconds; far above the busy timeout a write waits at most
# Nothing in this log may mention the lock, an unavailable database or a traceback.
LOG_ALARMS = ("database is locked", "database unavailable", "Traceback", "unhandled error")


@dataclass
class Ledger:
    """What the server acknowledged, by email and title (SQLite hands a deleted row's id
    to the next row when it was the highest), and every answer's operation and status."""

    names: dict[str, str] = field(default_factory=dict)  # live user's email -> last name
    deleted: set[str] = field(default_factory=set)  # emails of users deleted with 204
    items: dict[str, str] = field(default_factory=dict)  # item title -> owner's email
    ids: list[int] = field(default_factory=list)  # every user id handed out
    statuses: Counter[str] = field(default_factory=Counter)  # "op status" -> count
    seconds: list[float] = field(default_factory=list)  # each answer's latency
    problems: list[str] = field(default_factory=list)
    sent: int = 0

    def answer(self, op: str, response: httpx.Response, expected: int) -> bool:
        self.statuses[f"{op} {response.status_code}"] += 1
        self.seconds.append(response.elapsed.total_seconds())
        if response.status_code == expected:
            return True
        self.problems.append(f"{op}: {response.status_code} {response.text[:200]}")
        return False


async def client(number: int, http: httpx.AsyncClient, ledger: Ledger, deadline: float) -> None:
    """One client: creates users, and renames, deletes and adds items to its own only, one
    request at a time, so that what each should hold in the end is known."""
    rng = random.Random(number)
    mine: list[tuple[int, str]] = []  # this client's live users: id, email
    for step in range(MAX_REQUESTS):
        if time.monotonic() >= deadline or ledger.sent >= MAX_REQUESTS:
            return
        ledger.sent += 1
        tag = f"{number}-{step}"
        roll = rng.random()
        try:
            if not mine or roll < 0.35:
                email = f"user{tag}@example.com"
                response = await http.post("/users", json={"email": email, "name": f"User {tag}"})
                if ledger.answer("create-user", response, 201):
                    ledger.names[email] = response.json()["name"]
                    ledger.ids.append(response.json()["id"])
                    mine.append((response.json()["id"], email))
            elif roll < 0.65:
                user_id, email = rng.choice(mine)
                response = await http.patch(f"/users/{user_id}", json={"name": f"Renamed {tag}"})
                if ledger.answer("update-user", response, 200):
                    ledger.names[email] = response.json()["name"]
            elif roll < 0.85:
                user_id, email = rng.choice(mine)
                title = f"Item {tag}"
                response = await http.post(f"/users/{user_id}/items", json={"title": title})
                if ledger.answer("create-item", response, 201):
                    ledger.items[title] = email
            else:
                user_id, email = mine.pop(rng.randrange(len(mine)))
                response = await http.delete(f"/users/{user_id}")
                if ledger.answer("delete-user", response, 204):
                    del ledger.names[email]
                    ledger.deleted.add(email)
        except httpx.HTTPError as exc:
            ledger.statuses["transport-error"] += 1
            ledger.problems.append(f"{type(exc).__name__}: {exc}")


async def drive(url: str) -> tuple[Ledger, float]:
    ledger = Ledger()
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=REQUEST_TIMEOUT) as http:
        start = time.monotonic()
        clients = [client(n, http, ledger, start + DURATION) for n in range(CLIENTS)]
        await asyncio.wait_for(asyncio.gather(*clients), DURATION + 2 * REQUEST_TIMEOUT)
        return ledger, time.monotonic() - start


def percentiles(ledger: Ledger) -> str:
    seconds = sorted(ledger.seconds) or [0.0]
    p50, p99 = (seconds[int(q * (len(seconds) - 1))] for q in (0.5, 0.99))
    return f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {seconds[-1] * 1000:.0f} ms"


@pytest.mark.parametrize("workers", [1, 2], ids=["1-worker", "2-workers"])
@pytest.mark.parametrize("baked", combinations(database="sqlite", use_alembic=False), indirect=True)
def test_concurrent_writes_wait_for_the_lock_and_all_persist(
    baked: Project, workers: int, tmp_path: Path
) -> None:
    # A new file: the workers, starting together, also race to create its tables.
    database = tmp_path / "app.db"
    with serving(
        baked, f"sqlite+aiosqlite:///{database}", tmp_path / "server.log", workers=workers
    ) as server:
        ledger, elapsed = asyncio.run(drive(server.url))
    log = server.log_text()

    with closing(sqlite3.connect(database)) as connection:
        names = dict(connection.execute("SELECT email, name FROM users").fetchall())
        items = connection.execute(
            "SELECT items.title, users.email FROM items JOIN users ON users.id = items.owner_id"
        ).fetchall()
        item_count = connection.execute("SELECT count(*) FROM items").fetchone()[0]
    expected_items = {t: email for t, email in ledger.items.items() if email not in ledger.deleted}
    print(
        f"\n{workers} worker(s): {ledger.sent} requests in {elapsed:.1f}s "
        f"({ledger.sent / elapsed:.0f}/s) from {CLIENTS} clients; latency {percentiles(ledger)}\n"
        f"  statuses: {dict(sorted(ledger.statuses.items()))}\n"
        f"  users: {len(ledger.ids)} created, {len(ledger.deleted)} deleted, "
        f"{len(ledger.names)} expected, {len(names)} in the file; "
        f"{len(ledger.ids) - len(set(ledger.ids))} ids handed out again after a delete\n"
        f"  items: {len(ledger.items)} created, {len(expected_items)} expected (the rest went "
        f"with their owners), {item_count} in the file"
    )

    server_errors = {k: n for k, n in ledger.statuses.items() if k.split()[-1].startswith("5")}
    assert not server_errors, server_errors  # no 500, and no 503 "database is locked"
    assert not ledger.problems, ledger.problems[:20]
    assert ledger.sent <= MAX_REQUESTS
    assert ledger.statuses["delete-user 204"] > 0 and ledger.statuses["update-user 200"] > 0
    alarms = [line for line in log.splitlines() if any(a in line for a in LOG_ALARMS)]
    assert not alarms, alarms[:10]
    # The file holds exactly what was acknowledged: each live user with its last name,
    # no deleted user, and each item of a live user (a deleted user's went with it).
    assert names == ledger.names
    assert not ledger.deleted & set(names)
    assert dict(items) == expected_items and item_count == len(items) == len(expected_items)
