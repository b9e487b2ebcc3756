"""The errors routes raise, and the handlers that turn every other error into an answer."""

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from .database import Base
from .logs import logger
{%- if cookiecutter.database == "postgresql" %}
from .postgresql import violated_constraint
{%- else %}
from .sqlite import violated_constraint
{%- endif %}

# What a violated constraint tells the client, by the name the naming convention gave it.
# A message may name the route's path parameters, e.g. {user_id}.
CONSTRAINT_ANSWERS: dict[str, tuple[int, str]] = {
    "ix_users_email": (status.HTTP_409_CONFLICT, "A user with this email already exists"),
    "fk_items_owner_id_users": (status.HTTP_404_NOT_FOUND, "User {user_id} not found"),
}


class NotFound(HTTPException):
    """404 for a row that does not exist: `NotFound("User", 7)` says "User 7 not found"."""

    def __init__(self, resource: str, key: int) -> None:
        super().__init__(status.HTTP_404_NOT_FOUND, f"{resource} {key} not found")


async def constraint_violated(request: Request, exc: Exception) -> JSONResponse:
    """Answer a known constraint's violation as its table says; any other is a bug (500)."""
    assert isinstance(exc, IntegrityError)  # noqa: S101 (registered for IntegrityError only)
    answer = CONSTRAINT_ANSWERS.get(violated_constraint(exc, Base.metadata) or "")
    if answer is None:
        raise exc
    code, message = answer
    return JSONResponse({"detail": message.format_map(request.path_params)}, status_code=code)


async def database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
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


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(IntegrityError, constraint_violated)
    # What a database that is down, restarting or out of connections raises: the
    # driver's errors (only those about the connection), the pool's, and the socket's.
    for error in (DBAPIError, PoolTimeoutError, OSError):
        app.add_exception_handler(error, database_unavailable)
