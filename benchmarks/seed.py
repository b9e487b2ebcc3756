"""Recreate the benchmark database and fill it; runs in the generated project's venv.

Usage: python seed.py ADMIN_URL DATABASE USERS

ADMIN_URL is a postgresql+asyncpg:// URL of a database to connect to for
DROP/CREATE (usually `postgres`). The tables are created by the generated
package itself (`init_models`), then rows are generated server-side: USERS users,
user n owning n % 11 items (5 on average), with distinct microsecond timestamps.
"""

import asyncio
import os
import sys

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import make_url

SEED_SQL = [
    """
    INSERT INTO users (email, name, created_at, updated_at)
    SELECT 'user' || g || '@example.com', 'User ' || g,
           now() - g * interval '1 second 17 microseconds',
           now() - g * interval '1 second 3 microseconds'
    FROM generate_series(1, $1::int) AS g
    """,
    """
    INSERT INTO items (owner_id, title, description, created_at, updated_at)
    SELECT u.id, 'Item ' || k || ' of user ' || u.id,
           'A description of item ' || k || ', long enough to look like real text.',
           u.created_at + k * interval '1 millisecond',
           u.created_at + k * interval '2 milliseconds'
    FROM users AS u CROSS JOIN LATERAL generate_series(1, u.id % 11) AS k
    ORDER BY u.id, k
    """,
]


def plain_dsn(url: str) -> str:
    """A SQLAlchemy URL as a libpq DSN that asyncpg accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def recreate_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(plain_dsn(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def main(admin_url: str, name: str, users: int) -> None:
    await recreate_database(admin_url, name)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    os.environ["DATABASE_URL"] = url
    # Imported only now: the package reads DATABASE_URL when it is first imported.
    from my_service import models  # noqa: F401  (registers the tables)
    from my_service.database import engine, init_models

    await init_models()
    await engine.dispose()
    conn = await asyncpg.connect(plain_dsn(url))
    try:
        async with conn.transaction():
            await conn.execute(SEED_SQL[0], users)
            await conn.execute(SEED_SQL[1])
        await conn.execute("VACUUM ANALYZE")
        n_users = await conn.fetchval("SELECT count(*) FROM users")
        n_items = await conn.fetchval("SELECT count(*) FROM items")
    finally:
        await conn.close()
    print(f"seeded {name}: {n_users} users, {n_items} items")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
