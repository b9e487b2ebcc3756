"""The migrations build exactly the models' schema, both ways, and fail without leaving a trace."""

import os
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import delete, insert, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.models import Base, User
{%- if cookiecutter.database == "postgresql" %}
from {{ cookiecutter.package_name }}.postgresql import for_transactions
{%- else %}
from {{ cookiecutter.package_name }}.sqlite import for_transactions
{%- endif %}

from .conftest import alembic_config

EXPECTED_TABLES = set(Base.metadata.tables) | {"alembic_version"}


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def current_revision(connection: Connection) -> str | None:
    revision: str | None = connection.scalar(text("SELECT version_num FROM alembic_version"))
    return revision


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    """Fails when a model changed without a revision (the same check as `alembic check`)."""
    async with for_transactions(engine).connect() as conn:
        await conn.run_sync(lambda sync_conn: command.check(alembic_config(sync_conn)))


async def test_downgrade_to_base_and_upgrade_to_head(engine: AsyncEngine) -> None:
    async with for_transactions(engine).begin() as conn:
        await conn.run_sync(lambda sync_conn: command.downgrade(alembic_config(sync_conn), "base"))
        assert await conn.run_sync(table_names) == {"alembic_version"}
    async with for_transactions(engine).begin() as conn:
        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), "head"))
        assert await conn.run_sync(table_names) == EXPECTED_TABLES
    async with for_transactions(engine).connect() as conn:
        await conn.run_sync(lambda sync_conn: command.check(alembic_config(sync_conn)))


FAILING_REVISION = """\
from alembic import op
import sqlalchemy as sa

revision = "f41l1n6"
down_revision = {head!r}


def upgrade() -> None:
    op.create_table("scratch", sa.Column("id", sa.Integer(), primary_key=True))
    op.drop_table("items")
    raise RuntimeError("this migration fails halfway")


def downgrade() -> None:
    pass
"""


async def test_a_failing_migration_changes_nothing(engine: AsyncEngine, tmp_path: Path) -> None:
    """Migrations run in one transaction: a failure halfway leaves schema and rows as they were."""

    def upgrade_through_failing_revision(sync_conn: Connection) -> None:
        config = alembic_config(sync_conn)
        head = ScriptDirectory.from_config(config).get_current_head()
        (tmp_path / "f41l1n6_fail.py").write_text(FAILING_REVISION.format(head=head))
        versions = Path(config.get_main_option("script_location", "")) / "versions"
        config.set_main_option("version_locations", f"{versions}{os.pathsep}{tmp_path}")
        command.upgrade(config, "head")

    async with for_transactions(engine).begin() as conn:
        head = await conn.run_sync(current_revision)
        await conn.execute(insert(User).values(email="kept@example.com", name="Kept"))
    try:
        async with for_transactions(engine).connect() as conn:
            with pytest.raises(RuntimeError, match="fails halfway"):
                await conn.run_sync(upgrade_through_failing_revision)
        async with for_transactions(engine).connect() as conn:
            assert await conn.run_sync(table_names) == EXPECTED_TABLES
            assert await conn.run_sync(current_revision) == head
            kept = await conn.scalar(select(User.name).where(User.email == "kept@example.com"))
            assert kept == "Kept"
    finally:
        async with for_transactions(engine).begin() as conn:
            await conn.execute(delete(User).where(User.email == "kept@example.com"))
