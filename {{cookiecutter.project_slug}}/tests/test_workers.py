"""The number of worker processes: WEB_CONCURRENCY, else what the container may use, read
from cgroup files made up here as a container runtime would write them."""

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import serve, workers
from {{ cookiecutter.package_name }}.config import settings
from {{ cookiecutter.package_name }}.workers import cpu_quota, usable_cpus, worker_count

HOST_CPUS = 64


def cgroup(tmp_path: Path, own: str, limits: dict[str, str]) -> tuple[Path, Path]:
    """A cgroup v2 tree under `tmp_path`, this process in `own`, each folder's `cpu.max`
    as `limits` says; returns the root and the process's membership file."""
    root = tmp_path / "cgroup"
    (root / own.lstrip("/")).mkdir(parents=True)
    for folder, limit in limits.items():
        (root / folder.lstrip("/") / "cpu.max").write_text(limit + "\n")
    membership = tmp_path / "self-cgroup"
    membership.write_text(f"0::{own}\n")
    return root, membership


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 64-CPU machine, as `nproc` and os.cpu_count() see it from inside a container."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(HOST_CPUS)))
    monkeypatch.setattr(os, "cpu_count", lambda: HOST_CPUS)


@pytest.mark.parametrize(
    ("limit", "cpus"),
    [
        ("100000 100000", 1),  # docker run --cpus 1; a Kubernetes limit of 1 (1000m)
        ("150000 100000", 1),  # 1.5 CPUs: a second worker would be throttled
        ("50000 100000", 1),  # half a CPU: still one worker
        ("400000 100000", 4),
        ("max 100000", HOST_CPUS),  # no quota
    ],
)
def test_the_quota_of_a_container_counts_not_the_host(
    tmp_path: Path, host: None, limit: str, cpus: int
) -> None:
    root, membership = cgroup(tmp_path, "/", {"/": limit})

    assert usable_cpus(root, membership) == cpus


def test_the_tightest_quota_from_the_process_up_counts(tmp_path: Path, host: None) -> None:
    # A pod's limit on the pod's cgroup, none on the container's: as on a Kubernetes node
    # without a cgroup namespace.
    limits = {"/kubepods/pod1": "200000 100000", "/kubepods/pod1/app": "max 100000"}
    root, membership = cgroup(tmp_path, "/kubepods/pod1/app", limits)

    assert cpu_quota(root, membership) == 2.0
    assert usable_cpus(root, membership) == 2


def test_without_cgroup_v2_the_affinity_counts(tmp_path: Path, host: None) -> None:
    root = tmp_path / "cgroup"
    v1_only = tmp_path / "self-cgroup"
    v1_only.write_text("4:memory:/docker/abc\n1:cpu,cpuacct:/docker/abc\n")

    assert cpu_quota(root, tmp_path / "missing") is None
    assert cpu_quota(root, v1_only) is None
    assert usable_cpus(root, v1_only) == HOST_CPUS


def test_the_affinity_caps_the_quota(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # docker run --cpuset-cpus 0,1 --cpus 8
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    root, membership = cgroup(tmp_path, "/", {"/": "800000 100000"})

    assert usable_cpus(root, membership) == 2


def test_web_concurrency_overrides_the_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "usable_cpus", lambda: HOST_CPUS)

    assert worker_count({"WEB_CONCURRENCY": "3"}) == 3
    assert worker_count({"WEB_CONCURRENCY": ""}) == worker_count({})
{%- if cookiecutter.database == "postgresql" %}
    assert worker_count({}) == HOST_CPUS  # one per usable CPU
{%- else %}
    assert worker_count({}) == 1  # SQLite takes one writer at a time
{%- endif %}


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_web_concurrency_stops_start_up(value: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        worker_count({"WEB_CONCURRENCY": value})

    assert str(stopped.value) == (
        "Invalid settings: WEB_CONCURRENCY: must be a whole number, at least 1"
    )


@pytest.mark.parametrize(
    ("args", "environment", "expected_workers", "expected_grace"),
    [
        ([], {}, 5, settings.shutdown_grace_seconds),
        ([], {"WEB_CONCURRENCY": "2"}, 2, settings.shutdown_grace_seconds),
        (["--workers", "3", "--timeout-graceful-shutdown", "7"], {}, 3, 7),
    ],
)
def test_serve_runs_uvicorn_with_the_count_and_the_grace_period(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: list[str],
    environment: dict[str, str],
    expected_workers: int,
    expected_grace: float,
) -> None:
    """What the image's command hands to uvicorn, without starting it."""
    ran: dict[str, Any] = {}
    monkeypatch.setattr(serve, "uvicorn_command", SimpleNamespace(callback=ran.update))
    monkeypatch.setattr(workers, "usable_cpus", lambda: 5)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SystemExit) as ended:
        serve.main(["--host", "127.0.0.1", "--port", "8000", "--no-access-log", *args])

    assert ended.value.code == 0
{%- if cookiecutter.database == "postgresql" %}
    assert ran["workers"] == expected_workers
{%- else %}
    assert ran["workers"] == (1 if not args and not environment else expected_workers)
{%- endif %}
    assert ran["timeout_graceful_shutdown"] == expected_grace
    assert ran["app"] == serve.APP
    assert ran["access_log"] is False
