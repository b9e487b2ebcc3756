"""With Alembic, the CLI a user runs migrates both databases and finds no drift."""

from collections.abc import Callable

import pytest

from .baking import COMBINATIONS, Combination, Project

WITH_ALEMBIC = [
    pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(c.id))
    for c in COMBINATIONS
    if c.use_alembic
]

CREATE_DATABASE = """
import asyncio, sys
import asyncpg

async def main(dsn: str, name: str) -> None:
    conn = await asyncpg.connect(dsn)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.parametrize("combination", WITH_ALEMBIC)
def test_alembic_cli_upgrade_check_downgrade(
    project: Callable[[Combination], Project],
    combination: Combination,
    request: pytest.FixtureRequest,
) -> None:
    baked = project(combination)
    if combination.database == "postgresql":
        postgres: str = request.getfixturevalue("postgres")
        name = f"{combination.id.replace('-', '_')}_cli"
        admin = postgres.replace("postgresql+asyncpg://", "postgresql://")
        baked.uv("python", "-c", CREATE_DATABASE, admin, name)
        database_url = postgres.rsplit("/", 1)[0] + f"/{name}"
    else:
        database_url = f"sqlite+aiosqlite:///{baked.path / 'cli.db'}"
    env = {"DATABASE_URL": database_url}

    offline = baked.uv("alembic", "upgrade", "head", "--sql", env=env)
    assert "CREATE TABLE users" in offline.stdout
    baked.uv("alembic", "upgrade", "head", env=env)
    baked.uv("alembic", "check", env=env)
    baked.uv("alembic", "downgrade", "base", env=env)
    baked.uv("alembic", "upgrade", "head", env=env)
    assert "(head)" in baked.uv("alembic", "current", env=env).stdout
    baked.uv("alembic", "check", env=env)
