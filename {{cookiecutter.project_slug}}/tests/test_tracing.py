"""One request, one trace: an HTTP server span whose children are the SQL statements the
request ran, and log lines that carry its trace id."""

from collections.abc import AsyncIterator, Iterator

import pytest
from httpx import AsyncClient
from opentelemetry import trace
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.tracing import exporting, trace_statements

from .capture import JsonLogs
from .capture import json_logs as json_logs  # a fixture
from .conftest import AddUser


@pytest.fixture(scope="session")
def exporter() -> Iterator[InMemorySpanExporter]:
    """The spans of this test run, kept in memory (a process has one tracer provider)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    yield exporter
    provider.shutdown()


@pytest.fixture
async def traced(
    engine: AsyncEngine, exporter: InMemorySpanExporter
) -> AsyncIterator[InMemorySpanExporter]:
    """Spans for the statements of `engine`, the tests' (connections opened from now on)."""
    trace_statements(engine)
    try:
        yield exporter
    finally:
        SQLAlchemyInstrumentor().uninstrument()
        exporter.clear()


async def test_a_request_s_statements_and_log_lines_join_its_trace(
    traced: InMemorySpanExporter, client: AsyncClient, add_user: AddUser, json_logs: JsonLogs
) -> None:
    user_id = await add_user()
    traced.clear()

    response = await client.get(f"/users/{user_id}", headers={"X-Request-ID": "traced-1"})

    assert response.status_code == 200
    spans = traced.get_finished_spans()
    (server,) = [span for span in spans if span.kind is SpanKind.SERVER]
    assert server.name == "GET /users/{user_id}"
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/users/{user_id}"
    statements = [span for span in spans if span.kind is SpanKind.CLIENT]
    sql = [str((span.attributes or {}).get("db.statement", "")) for span in statements]
    assert any(text.lstrip().upper().startswith("SELECT") for text in sql), sql
    for span in statements:
        assert span.parent is not None
        assert span.parent.span_id == server.context.span_id
        assert span.context.trace_id == server.context.trace_id
    assert not [span for span in spans if span.parent is None and span is not server]

    (access,) = [line for line in json_logs() if line.get("request_id") == "traced-1"]
    assert access["trace_id"] == format(server.context.trace_id, "032x")
    assert access["span_id"] == format(server.context.span_id, "016x")


async def test_health_checks_make_no_spans(
    traced: InMemorySpanExporter, client: AsyncClient
) -> None:
    traced.clear()
    await client.get("/health/live")
    await client.get("/metrics")

    assert traced.get_finished_spans() == ()


def test_nothing_is_exported_without_a_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert not exporting()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert exporting()
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert not exporting()
