"""The FastAPI application: `uvicorn {{ cookiecutter.package_name }}.main:app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .database import engine{% if not cookiecutter.use_alembic %}, init_models{% endif %}
from .routes import items, users


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
{%- if cookiecutter.use_alembic %}
    """Release pooled connections at shutdown; the schema comes from `alembic upgrade head`."""
{%- else %}
    """Create missing tables at start-up and release pooled connections at shutdown."""
    await init_models()
{%- endif %}
    yield
    await engine.dispose()


def create_app() -> FastAPI:
    app = FastAPI(title="{{ cookiecutter.project_name }}", version="0.1.0", lifespan=lifespan)
    app.include_router(users.router)
    app.include_router(items.router)
    return app


app = create_app()
