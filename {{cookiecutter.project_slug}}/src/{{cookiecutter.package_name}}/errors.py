"""The errors routes raise, the answers they document, and the handlers that turn every
other error into an answer: a 500 means a bug, never a client's input or the database's state."""

import math
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from . import metrics
from .database import Base
from .logs import logger
{%- if cookiecutter.database == "postgresql" %}
from .postgresql import is_unavailable, violated_constraint
{%- else %}
from .sqlite import is_unavailable, violated_constraint
{%- endif %}

# What a violated constraint tells the client, by the name the naming convention gave it.
# A message may name the route's path parameters, e.g. {user_id}.
CONSTRAINT_ANSWERS: dict[str, tuple[int, str]] = {
    "uq_users_email_lower": (status.HTTP_409_CONFLICT, "A user with this email already exists"),
    "fk_items_owner_id_users": (status.HTTP_404_NOT_FOUND, "User {user_id} not found"),
}
RETRY_AFTER = {"Retry-After": "5"}
EXCERPT = 100  # characters of an invalid input that a 422 echoes back
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")  # those a 405 may allow


class ErrorBody(BaseModel):
    """The body of every error answer but 422."""

    detail: str


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route, for the OpenAPI document: each code with its body."""
    descriptions = {
        404: "No such row",
        409: "A unique value is taken",
        413: "The request body is too large",
        503: "The database cannot serve now; retry after `Retry-After` seconds",
    }
    return {code: {"model": ErrorBody, "description": descriptions[code]} for code in codes}


class NotFound(HTTPException):
    """404 for a row that does not exist: `NotFound("User", 7)` says "User 7 not found"."""

    def __init__(self, resource: str, key: int) -> None:
        super().__init__(status.HTTP_404_NOT_FOUND, f"{resource} {key} not found")


class Unavailable(HTTPException):
    """503 with Retry-After: the database cannot serve now."""

    def __init__(self) -> None:
        super().__init__(
            status.HTTP_503_SERVICE_UNAVAILABLE, "Database unavailable", headers=RETRY_AFTER
        )


async def constraint_violated(request: Request, exc: Exception) -> JSONResponse:
    """Answer a known constraint's violation as the table above says; any other is a bug."""
    assert isinstance(exc, IntegrityError)  # noqa: S101 (registered for IntegrityError only)
    answer = CONSTRAINT_ANSWERS.get(violated_constraint(exc, Base.metadata) or "")
    if answer is None:
        raise exc
    code, message = answer
    return JSONResponse({"detail": message.format_map(request.path_params)}, status_code=code)


async def database_failed(_request: Request, exc: Exception) -> JSONResponse:
    """Answer 503, which clients and load balancers retry, when the database cannot serve."""
    if not is_unavailable(exc):
        raise exc  # a bug: the server answers 500
    # The driver's own message only: SQLAlchemy's would add the statement.
    reason = exc.orig if isinstance(exc, DBAPIError) else exc
    logger.warning("database unavailable: %s: %s", type(reason).__name__, reason)
    metrics.DATABASE_UNAVAILABLE.inc()
    return JSONResponse(
        {"detail": "Database unavailable"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers=RETRY_AFTER,
    )


def excerpt(value: object) -> object:
    """What a 422 may echo of an invalid input: short, and always valid JSON."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) < 2**63:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str | int | float):
        text = str(value)
        text = text if len(text) <= EXCERPT else text[:EXCERPT] + "..."
        # A lone surrogate cannot be encoded as UTF-8: send its escape instead.
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return None


async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 body, with each input (and each key the client named) cut to a short
    excerpt: it could be megabytes, or a NaN that JSON cannot carry."""
    assert isinstance(exc, RequestValidationError)  # noqa: S101 (registered for it only)
    errors = [
        {
            "type": error["type"],
            "loc": [excerpt(part) for part in error["loc"]],
            "msg": error["msg"],
            "input": excerpt(error.get("input")),
        }
        for error in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def undecodable_body(request: Request, exc: Exception) -> Response:
    """A body that is not UTF-8, or nested too deeply to parse, answers 422 like any other
    malformed JSON (which every route with a body documents), not FastAPI's 400."""
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 (registered for 400 only)
    if not isinstance(exc.__cause__, UnicodeDecodeError | RecursionError):
        return await http_exception_handler(request, exc)
    error = {"type": "json_invalid", "loc": ["body"], "msg": "JSON decode error", "input": None}
    return JSONResponse({"detail": [error]}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def method_not_allowed(request: Request, _exc: Exception) -> JSONResponse:
    """405 whose Allow lists every method of the path, as HTTP requires: Starlette's
    names only those of the first route that matched the path."""

    def routed(method: str) -> bool:
        scope = {**request.scope, "method": method}
        return any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes)

    return JSONResponse(
        {"detail": "Method Not Allowed"},
        status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
        headers={"Allow": ", ".join(filter(routed, METHODS))},
    )


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(status.HTTP_400_BAD_REQUEST, undecodable_body)
    app.add_exception_handler(status.HTTP_405_METHOD_NOT_ALLOWED, method_not_allowed)
    app.add_exception_handler(IntegrityError, constraint_violated)
    for error in (DBAPIError, PoolTimeoutError, OSError):
        app.add_exception_handler(error, database_failed)
