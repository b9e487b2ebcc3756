"""The FastAPI application: `uvicorn {{ cookiecutter.package_name }}.main:app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from .config import settings
from .database import engine{% if not cookiecutter.use_alembic %}, init_models{% endif %}
from .logs import configure_logging, logger
from .middleware import RequestLogMiddleware
from .routes import health, items, users

# What a database that is down, restarting or out of connections raises: the driver's
# errors (only those about the connection, see below), the pool's, and the socket's.
DATABASE_UNAVAILABLE = (DBAPIError, PoolTimeoutError, OSError)


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


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """Answer 503, which clients and load balancers retry, instead of a 500 with a traceback."""
    if isinstance(exc, DBAPIError) and not (
        exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    ):
        raise exc  # a bug, not an outage: the server answers 500
    # The driver's own message only: SQLAlchemy's would add the statement's parameters.
    reason = exc.orig if isinstance(exc, DBAPIError) else exc
    logger.error("database unavailable: %s: %s", type(reason).__name__, reason)
    return JSONResponse(
        {"detail": "Database unavailable"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


def create_app() -> FastAPI:
    configure_logging(settings.log_level)
    app = FastAPI(title="{{ cookiecutter.project_name }}", version="0.1.0", lifespan=lifespan)
    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, database_unavailable)
    app.add_middleware(RequestLogMiddleware)
    app.include_router(health.router)
    app.include_router(users.router)
    app.include_router(items.router)
    return app


app = create_app()
