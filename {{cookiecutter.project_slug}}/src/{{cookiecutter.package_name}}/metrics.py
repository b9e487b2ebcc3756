"""Prometheus metrics, served at GET /metrics: requests by method, route template and
status, their latency and how many are in progress; the database pool; the requests
answered 503 because the database could not serve.

With several worker processes, each writes its values to files in
PROMETHEUS_MULTIPROC_DIR (`serve` sets it before any worker imports prometheus_client,
which reads it at import) and /metrics adds up every worker's: whichever worker answers
a scrape, it shows the same totals.
"""

import os
import weakref

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
# Labels take a bounded set of values: a method outside this set counts as "other", a
# request that matched no route as "unmatched", never its path.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"

# No *_created series beside each counter and histogram: nothing here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]
LABELS = ("method", "route", "status")
REQUESTS = Counter(
    "http_requests", "Requests answered, by method, route template and status.", LABELS
)
LATENCY = Histogram("http_request_duration_seconds", "Time to answer, by the same labels.", LABELS)
# Gauges: each worker's value while it lives, summed.
IN_PROGRESS = Gauge(
    "http_requests_in_progress", "Requests being answered now.", multiprocess_mode="livesum"
)
POOL_SIZE = Gauge("db_pool_size", "Connections the pools may keep.", multiprocess_mode="livesum")
POOL_CHECKED_OUT = Gauge(
    "db_pool_checked_out", "Connections lent to requests now.", multiprocess_mode="livesum"
)
POOL_OVERFLOW = Gauge(
    "db_pool_overflow", "Connections open beyond the pool's size now.", multiprocess_mode="livesum"
)
DATABASE_UNAVAILABLE = Counter(
    "db_unavailable", "Requests answered 503 because the database could not serve."
)

# Each label set's series, looked up once: `.labels()` costs more than the update.
_series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def label(method: str) -> str:
    return method if method in METHODS else "other"


def observe(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration."""
    key = (label(method), route, status)
    series = _series.get(key)
    if series is None:
        values = (key[0], route, str(status))
        series = _series[key] = (REQUESTS.labels(*values), LATENCY.labels(*values))
    series[0].inc()
    series[1].observe(seconds)


_watched: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def watch_pool(engine: AsyncEngine) -> None:
    """Keep the pool gauges current (once per engine, however many applications are built
    on it): lent connections counted up and down, the overflow read from the pool only
    when it can have changed, as that is rare."""
    sync_engine = engine.sync_engine
    if not isinstance(sync_engine.pool, QueuePool) or sync_engine in _watched:
        return
    _watched.add(sync_engine)

    def pool() -> QueuePool:
        # The engine's pool of the moment: disposing the engine replaces it, listeners kept.
        current = sync_engine.pool
        assert isinstance(current, QueuePool)  # noqa: S101 (dispose keeps the pool's class)
        return current

    overflow = [0]  # the gauge's value

    def set_overflow(value: int) -> None:
        if value != overflow[0]:
            overflow[0] = value
            POOL_OVERFLOW.set(value)

    def opened(*_args: object) -> None:
        # A new connection: beyond the pool's size, or replacing a broken one.
        set_overflow(max(pool().overflow(), 0))

    def returned(*_args: object) -> None:
        POOL_CHECKED_OUT.dec()
        if overflow[0]:
            # Called before the pool takes the connection back, and closes it if it is full.
            closing = pool().checkedin() >= pool().size()
            set_overflow(max(pool().overflow() - closing, 0))

    POOL_SIZE.set(pool().size())
    event.listen(sync_engine.pool, "connect", opened)
    event.listen(sync_engine.pool, "checkout", lambda *_args: POOL_CHECKED_OUT.inc())
    event.listen(sync_engine.pool, "checkin", returned)


def worker_exits() -> None:
    """Take this worker's gauges out of the sums; its counts stay in the totals."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def registry() -> CollectorRegistry:
    """What a scrape shows: every worker's values in multiprocess mode, else this process's."""
    if not MULTIPROCESS:
        return REGISTRY
    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected)  # type: ignore[no-untyped-call]
    return collected


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    """The metrics in Prometheus' text format (a plain function: FastAPI runs it in a
    thread, as reading every worker's files blocks)."""
    return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)
