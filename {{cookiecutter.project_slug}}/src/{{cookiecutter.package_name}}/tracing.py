"""OpenTelemetry tracing: a server span per request (FastAPI's own instrumentation) whose
children are the request's SQL statements (SQLAlchemy's), sent over OTLP/HTTP to the
collector at OTEL_EXPORTER_OTLP_ENDPOINT. Without that variable nothing is traced.

The SDK reads the other standard variables itself: OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG), OTEL_EXPORTER_OTLP_HEADERS,
OTEL_SDK_DISABLED, ...
"""

import logging
import os
from collections.abc import MutableMapping
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine

from .middleware import UNOBSERVED

ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def exporting() -> bool:
    """Whether a collector is configured, and the SDK not disabled."""
    disabled = os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
    return not disabled and any(os.environ.get(name) for name in ENDPOINTS)


def configure_tracing(engine: AsyncEngine) -> None:
    """Export spans to the collector when one is configured (once per process)."""
    if not exporting() or isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: "{{ cookiecutter.project_slug }}"}))
    # Imported only here: the exporter brings protobuf, a tenth of a second per process.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=resource)
    # Batches leave from a thread of their own, off the requests' path.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    trace_statements(engine)


def trace_statements(engine: AsyncEngine) -> None:
    """A span for each statement `engine` runs: its SQL, never its parameters."""
    # The instrumentation declares SQLAlchemy < 2.1; it works with 2.1, as the tests show.
    SQLAlchemyInstrumentor().instrument(
        engine=engine.sync_engine, skip_dep_check=True, enable_commenter=False
    )


def untraced(scope: MutableMapping[str, Any]) -> bool:
    """Health checks and scrapes make no spans: they would bury the requests."""
    return scope.get("path") in UNOBSERVED


class TraceContextFilter(logging.Filter):
    """Stamp each record with the active span's trace_id and span_id, which a tracing
    backend shows, so that a request's log lines and its trace find each other."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True
