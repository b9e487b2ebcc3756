"""How many worker processes `python -m {{ cookiecutter.package_name }}.serve` starts.
{%- if cookiecutter.database == "postgresql" %}

WEB_CONCURRENCY when it is set; otherwise one per CPU this process may actually use.
{%- else %}

WEB_CONCURRENCY when it is set; otherwise one, as SQLite takes one writer at a time.
{%- endif %}
`nproc` and `os.cpu_count()` count the machine's CPUs: in a container limited to one CPU
on a 64-core node they say 64, and 64 workers, each with its own connection pool, would
share one CPU's time. The CPU quota (cgroup v2 `cpu.max`, set by `docker run --cpus` or a
Kubernetes CPU limit) and the CPU affinity (`--cpuset-cpus`, `taskset`) say what is usable.
"""

import math
import os
from collections.abc import Mapping
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")  # where cgroup v2 is mounted
CGROUP_OF_PROCESS = Path("/proc/self/cgroup")


def cpu_quota(root: Path = CGROUP_ROOT, membership: Path = CGROUP_OF_PROCESS) -> float | None:
    """The CPUs the cgroup v2 quota allows, the tightest from this process's cgroup up to
    the root (a limit may sit on a parent); None without a quota, or without cgroup v2."""
    try:
        lines = membership.read_text().splitlines()
    except OSError:
        return None
    own = [line.removeprefix("0::") for line in lines if line.startswith("0::")]
    if not own:
        return None  # cgroup v1 only
    quotas = []
    folder = root / own[0].lstrip("/")
    while True:
        try:
            quota, period = (folder / "cpu.max").read_text().split()
            if quota != "max":
                quotas.append(int(quota) / int(period))
        except (OSError, ValueError):
            pass  # no cpu.max at this level (the root has none), or not readable
        if folder == root or root not in folder.parents:
            break
        folder = folder.parent
    return min(quotas, default=None)


def usable_cpus(root: Path = CGROUP_ROOT, membership: Path = CGROUP_OF_PROCESS) -> int:
    """The CPUs this process may run on at once: the affinity (or, where the system has
    none, the CPU count), capped by the quota, whole CPUs only and at least one."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cpus = os.cpu_count() or 1
    quota = cpu_quota(root, membership)
    if quota is not None:
        # Rounded down: a worker more than the quota would be throttled with the others.
        cpus = min(cpus, math.floor(quota))
    return max(cpus, 1)


def worker_count(environ: Mapping[str, str] = os.environ) -> int:
    """WEB_CONCURRENCY if set (a whole number, at least 1), else the default above."""
    given = environ.get("WEB_CONCURRENCY", "").strip()
    if given:
        if not given.isdecimal() or int(given) < 1:
            raise SystemExit(
                "Invalid settings: WEB_CONCURRENCY: must be a whole number, at least 1"
            )
        return int(given)
{%- if cookiecutter.database == "postgresql" %}
    return usable_cpus()
{%- else %}
    return 1
{%- endif %}
