"""The log format: with LOG_FORMAT=json one object per line, the request's fields in it and
escaped; an exception's type and traceback without the statement's values; uvicorn's lines
in the same format."""

import logging
import re

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.errors import CONSTRAINT_ANSWERS
from {{ cookiecutter.package_name }}.logs import HANDLER, JsonFormatter, formatter, logger

from .capture import JsonLogs
from .capture import json_logs as json_logs  # a fixture

UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def access_lines(lines: list[dict[str, object]]) -> list[dict[str, object]]:
    return [line for line in lines if "route" in line]


async def test_an_access_line_carries_the_request_s_fields(
    client: AsyncClient, json_logs: JsonLogs
) -> None:
    await client.get("/users/999999", headers={"X-Request-ID": "req-42"})

    (line,) = access_lines(json_logs())
    assert UTC_TIME.fullmatch(str(line.pop("time")))
    duration = line.pop("duration_ms")
    assert isinstance(duration, float)
    assert duration > 0
    assert str(line.pop("message")).startswith("GET /users/999999 404 ")
{%- if cookiecutter.use_opentelemetry %}
    for traced in ("trace_id", "span_id"):  # there when a tracer provider is set
        line.pop(traced, None)
{%- endif %}
    assert line == {
        "level": "INFO",
        "logger": "{{ cookiecutter.package_name }}",
        "request_id": "req-42",
        "method": "GET",
        "route": "/users/{user_id}",
        "path": "/users/999999",
        "status": 404,
    }


async def test_what_a_request_sends_is_escaped(client: AsyncClient, json_logs: JsonLogs) -> None:
    forged = "/users/1%0a%22level%22:%22ERROR%22%1b[2J\u2028"
    await client.get(forged, headers={"X-Request-ID": "bad id\nINFO fake"})

    (line,) = access_lines(json_logs())  # read() fails on any unprintable character
    assert line["path"] == '/users/1\n"level":"ERROR"\x1b[2J\u2028'
    assert (line["route"], line["status"]) == ("/users/{user_id}", 422)
    assert len(str(line["request_id"])) == 32
    assert "\n" not in str(line["message"])


async def test_an_error_logs_its_type_and_traceback_but_no_values(
    client: AsyncClient, json_logs: JsonLogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(CONSTRAINT_ANSWERS, "fk_items_owner_id_users")

    response = await client.post("/users/999999/items", json={"title": "secret-title"})

    assert response.status_code == 500
    lines = json_logs()
    (error,) = [line for line in lines if line["level"] == "ERROR"]
    assert error["exc_type"] == "sqlalchemy.exc.IntegrityError"
    assert str(error["traceback"]).startswith("Traceback (most recent call last):")
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert "secret-title" not in str(lines)


async def test_health_checks_and_scrapes_are_logged_at_debug_only(
    client: AsyncClient, json_logs: JsonLogs
) -> None:
    for path in ("/health/live", "/metrics", "/users/999999"):
        await client.get(path)

    levels = {line["route"]: line["level"] for line in access_lines(json_logs())}
    assert levels == {"/health/live": "DEBUG", "/metrics": "DEBUG", "/users/{user_id}": "INFO"}


def test_uvicorn_logs_through_the_service_s_handler() -> None:
    """Its start-up, shutdown and error lines ("uvicorn.error" propagates to "uvicorn")."""
    (handler,) = [h for h in logger.handlers if h.get_name() == HANDLER]

    assert handler in logging.getLogger("uvicorn").handlers
    assert not logging.getLogger("uvicorn").propagate
    assert logging.getLogger("uvicorn.error").propagate
    assert isinstance(formatter("json", use_colors=True), JsonFormatter)
