"""Logging: one format for every line, uvicorn's own included, carrying the id of the
request it belongs to: text to read in a terminal, or JSON (one object per line) for a
log pipeline."""

import json
import logging
import time
from contextvars import ContextVar
from typing import Any

request_id: ContextVar[str] = ContextVar("request_id", default="-")
logger = logging.getLogger("{{ cookiecutter.package_name }}")
# uvicorn's start-up, shutdown and error lines ("uvicorn.error" propagates to "uvicorn").
SERVER_LOGGERS = ("uvicorn", "uvicorn.access")
HANDLER = "{{ cookiecutter.package_name }}"
{%- if cookiecutter.use_opentelemetry %}
# While a span is active, tracing.TraceContextFilter sets trace_id and span_id.
TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(trace_id)s %(span_id)s] %(message)s"
TEXT_DEFAULTS = {"request_id": "-", "trace_id": "-", "span_id": "-"}
{%- else %}
TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
TEXT_DEFAULTS = {"request_id": "-"}
{%- endif %}
# Attributes every record has. Any other was given as `extra=` (the access line's method,
# route, path, status and duration_ms) and becomes a field of the JSON object.
STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's coloured copy of the message
}


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request's id ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id,
    the record's extra fields and, for an exception, its type and traceback.

    JSON escapes every control character, so no value, whatever a request put in it, can
    start a new line or reach the terminal as a control code.
    """

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "time": utc_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in STANDARD and key not in fields:
                fields[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            kind = record.exc_info[0]
            module = "" if kind.__module__ == "builtins" else kind.__module__ + "."
            fields["exc_type"] = module + kind.__qualname__
            fields["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            fields["stack"] = self.formatStack(record.stack_info)
        return json.dumps(fields, default=str)


def utc_time(created: float) -> str:
    """`created` as ISO 8601 in UTC, to the millisecond: 2026-01-31T12:00:00.123Z."""
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


def formatter(log_format: str = "text", **_options: object) -> logging.Formatter:
    """The formatter for LOG_FORMAT. Extra options (uvicorn's `use_colors`) are ignored."""
    if log_format == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT, defaults=TEXT_DEFAULTS)


def configure_logging(level: str, log_format: str = "text", *filters: logging.Filter) -> None:
    """Send this package's records and uvicorn's to stderr in one format, once, whatever
    the server configured before importing the application."""
    if any(handler.get_name() == HANDLER for handler in logger.handlers):
        return
    # No format here shows the caller's file, thread or process: the logging HOWTO's
    # "Optimization" settings spare each record looking them up (a stack walk for the
    # caller): about 1.5% of the CPU of a GET.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler()
    handler.set_name(HANDLER)
    for log_filter in (RequestIdFilter(), *filters):
        handler.addFilter(log_filter)
    handler.setFormatter(formatter(log_format))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    for name in SERVER_LOGGERS:
        server = logging.getLogger(name)
        # uvicorn --no-access-log leaves "uvicorn.access" without a handler: keep it so.
        if server.handlers or name == "uvicorn":
            server.handlers = [handler]
            server.propagate = False


def server_logging(level: str, log_format: str) -> dict[str, Any]:
    """uvicorn's `log_config` in this format, for the lines a serving process writes
    before it imports the application (`serve` passes it)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        # uvicorn sets `use_colors` on these two names when asked to.
        "formatters": {
            name: {"()": formatter, "log_format": log_format} for name in ("default", "access")
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["default"], "level": level, "propagate": False},
        },
    }
