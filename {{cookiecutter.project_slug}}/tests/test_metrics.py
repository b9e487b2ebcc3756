"""GET /metrics: requests by route template, never by raw path; their latency; the pool;
503s for an unavailable database. Health checks and scrapes are not counted.

The metrics are the process's own, shared by every test: each test compares a scrape
after its requests with one before."""

import re

import pytest
from httpx import AsyncClient
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }} import metrics
from {{ cookiecutter.package_name }}.config import settings
from {{ cookiecutter.package_name }}.main import create_app
{%- if cookiecutter.database == "postgresql" %}
from {{ cookiecutter.package_name }}.postgresql import create_engine
{%- else %}
from {{ cookiecutter.package_name }}.sqlite import create_engine
{%- endif %}

from .conftest import UseEngine, client_on

REQUEST_SERIES = (
    "http_requests_total",
    "http_request_duration_seconds_count",
    "http_requests_in_progress",
)
POOL_SERIES = ("db_pool_size", "db_pool_checked_out", "db_pool_overflow")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
{%- if cookiecutter.database == "postgresql" %}
UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"  # nothing listens on port 1
{%- else %}
UNREACHABLE = "sqlite+aiosqlite:////nonexistent/folder/nothing.db"
{%- endif %}


async def scrape(client: AsyncClient, *names: str) -> Samples:
    """The samples of the series `names` that /metrics shows. Only their lines are parsed:
    the parser takes about 60 µs a sample, and a run's histograms hold hundreds."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    lines = response.text.splitlines()
    wanted = [line for line in lines if re.split("[{ ]", line, maxsplit=1)[0] in names]
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families("\n".join(wanted))
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def routes(samples: Samples) -> set[str]:
    return {dict(labels)["route"] for name, labels in samples if name == "http_requests_total"}


async def test_requests_are_counted_by_route_template(client: AsyncClient) -> None:
    """However many ids are asked for, one series: the label set stays bounded."""
    before = await scrape(client, *REQUEST_SERIES)
    ids = range(10**6, 10**6 + 10)
    for i in ids:
        await client.get(f"/users/{i}")
    after = await scrape(client, *REQUEST_SERIES)

    labels = {"method": "GET", "route": "/users/{user_id}", "status": "404"}
    for name in ("http_requests_total", "http_request_duration_seconds_count"):
        assert value(after, name, **labels) - value(before, name, **labels) == len(ids)
    assert not any(str(i) in " ".join(routes(after)) for i in ids)
    assert value(after, "http_requests_in_progress") == 0


async def test_health_checks_and_scrapes_are_not_counted(client: AsyncClient) -> None:
    for path in ("/health/live", "/metrics"):
        await client.get(path)
    samples = await scrape(client, "http_requests_total")

    assert routes(samples).isdisjoint({"/health/live", "/health/ready", "/metrics"})


async def test_unknown_paths_and_methods_have_bounded_labels(client: AsyncClient) -> None:
    before = await scrape(client, "http_requests_total")
    await client.get("/no/such/path/1")
    await client.get("/no/such/path/2")
    await client.request("BREW", "/users")
    after = await scrape(client, "http_requests_total")

    def counted(**labels: str) -> float:
        return value(after, "http_requests_total", **labels) - value(
            before, "http_requests_total", **labels
        )

    assert counted(method="GET", route="unmatched", status="404") == 2
    assert counted(method="other", route="/users", status="405") == 1


async def test_the_pool_gauges_follow_checkouts(database_url: str, client: AsyncClient) -> None:
    watched = create_engine(database_url)  # the client holds the test engine's connection
    metrics.watch_pool(watched)
    try:
        async with watched.connect():
            during = await scrape(client, *POOL_SERIES)
        after = await scrape(client, *POOL_SERIES)
    finally:
        await watched.dispose()

    assert value(after, "db_pool_size") == watched.pool.size()  # type: ignore[attr-defined]
    assert value(during, "db_pool_checked_out") == value(after, "db_pool_checked_out") + 1
    assert value(after, "db_pool_overflow") == 0


{%- if cookiecutter.database == "postgresql" %}


async def test_the_overflow_gauge_follows_connections_beyond_the_pool_size(
    database_url: str, client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "database_pool_size", 1)
    monkeypatch.setattr(settings, "database_max_overflow", 2)
    watched = create_engine(database_url)
    metrics.watch_pool(watched)
    try:
        async with watched.connect(), watched.connect():
            async with watched.connect():
                three = await scrape(client, *POOL_SERIES)
            two = await scrape(client, *POOL_SERIES)
        none = await scrape(client, *POOL_SERIES)
    finally:
        await watched.dispose()

    assert value(three, "db_pool_overflow") == 2
    assert value(two, "db_pool_overflow") == 2  # the first one back stays open, in the pool
    assert value(none, "db_pool_overflow") == 0  # the pool full, the others were closed
    assert value(three, "db_pool_checked_out") == value(none, "db_pool_checked_out") + 3
{%- endif %}


async def test_503s_for_an_unavailable_database_are_counted(use_engine: UseEngine) -> None:
    unreachable = create_engine(UNREACHABLE)
    try:
        async with client_on(use_engine(unreachable)) as client:
            before = await scrape(client, "db_unavailable_total", "http_requests_total")
            response = await client.get("/users/1")
            after = await scrape(client, "db_unavailable_total", "http_requests_total")
    finally:
        await unreachable.dispose()

    assert response.status_code == 503
    assert value(after, "db_unavailable_total") - value(before, "db_unavailable_total") == 1
    labels = {"method": "GET", "route": "/users/{user_id}", "status": "503"}
    assert value(after, "http_requests_total", **labels) > value(
        before, "http_requests_total", **labels
    )


async def test_metrics_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "metrics_enabled", False)
    async with client_on(create_app()) as client:
        response = await client.get("/metrics")

    assert response.status_code == 404
