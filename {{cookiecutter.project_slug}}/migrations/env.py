"""Alembic environment: migrates the database the application's settings point at."""

import asyncio
{%- if cookiecutter.database == "sqlite" %}
import warnings
{%- endif %}
from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
{%- if cookiecutter.database == "sqlite" %}
from sqlalchemy import TypeDecorator
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SAWarning
{%- else %}
from sqlalchemy import TypeDecorator
from sqlalchemy.engine import Connection
{%- endif %}

from {{ cookiecutter.package_name }}.config import settings
from {{ cookiecutter.package_name }}.database import engine, transaction_engine
from {{ cookiecutter.package_name }}.models import Base

config = context.config
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
{%- if cookiecutter.database == "sqlite" %}

# SQLite's reflection cannot read an index on an expression (uq_users_email_lower), so
# autogenerate leaves such indexes out, and says so twice: their revisions are written
# by hand.
warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
{%- endif %}


def render_item(kind: str, obj: object, _context: AutogenContext) -> str | Literal[False]:
    """Write a custom column type as the type it stores, so revisions never import the app."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def configure(**options: Any) -> None:
    """Configure the context the same way for every mode, so autogenerate sees what tests see."""
    context.configure(
        target_metadata=Base.metadata,
        compare_type=True,
        compare_server_default=True,
        render_item=render_item,
{%- if cookiecutter.database == "sqlite" %}
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=True,
        # SQLite does roll back DDL, and database.py has SQLAlchemy emit BEGIN, so a
        # failed migration leaves the schema as it was.
        transactional_ddl=True,
{%- endif %}
        **options,
    )


def run_migrations_offline() -> None:
    """Print the SQL instead of running it (`alembic upgrade head --sql`)."""
    configure(url=settings.database_url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations(connection: Connection) -> None:
    configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    try:
        async with transaction_engine.connect() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
elif (connection := config.attributes.get("connection")) is not None:
    # A caller that already runs an event loop (the tests) passes its own connection,
    # since asyncio.run() cannot start a second loop.
    run_migrations(connection)
else:
    asyncio.run(run_migrations_online())
