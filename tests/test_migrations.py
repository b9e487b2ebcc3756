"""With Alembic, the CLI a user runs migrates both databases and finds no drift."""

import pytest

from .baking import Project, combinations


@pytest.mark.parametrize("baked", combinations(use_alembic=True), indirect=True)
def test_alembic_cli_upgrade_check_downgrade(
    baked: Project, request: pytest.FixtureRequest
) -> None:
    if baked.needs_server:
        request.getfixturevalue("postgres")
        # A fresh database of this run; the session drops it at its end.
        name = baked.database_name("cli")
        assert baked.admin("create", name) == [name]
        database_url = baked.databases.url(name)
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
