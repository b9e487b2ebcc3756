"""The FastAPI application: `uvicorn {{ cookiecutter.package_name }}.main:app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .config import settings
{%- if cookiecutter.use_alembic %}
from .database import engine
{%- else %}
from .database import engine, init_models
{%- endif %}
from .errors import add_error_handlers
from .logs import configure_logging
from .middleware import BodySizeLimitMiddleware, RequestLogMiddleware
from .routes import health, items, users


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
    configure_logging(settings.log_level)
    app = FastAPI(
        title="{{ cookiecutter.project_name.encode('ascii', 'backslashreplace').decode('ascii') }}",
        version="0.1.0",
        lifespan=lifespan,
    )
    add_error_handlers(app)
    # The last added runs first: the access log sees every answer, the 413s included.
    app.add_middleware(BodySizeLimitMiddleware, max_size=settings.max_body_size)
    app.add_middleware(RequestLogMiddleware)
    app.include_router(health.router)
    app.include_router(users.router)
    app.include_router(items.router)
    return app


app = create_app()
