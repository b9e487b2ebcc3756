"""Bake time per combination, and the generated test suite's time per test.

Usage: uv run python benchmarks/bake_and_suite.py [--bakes N] [--keep]

For each combination of database x use_alembic: bakes the working tree N times
in-process (the hooks included, the interpreter's start-up not) and reports the
median and fastest; then installs the project once (`uv sync --compile-bytecode`,
timed) and runs its test suite once with a JUnit report, for the time per test.
PostgreSQL suites use the database `bench_suite_<combination>` on BENCH_POSTGRES_URL's
server (the suite creates it if missing and resets its tables).
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from benchlib import TEMPLATE, clean_env, database_url, log, run, template_revision
from cookiecutter.main import cookiecutter

COMBINATIONS = [(db, alembic) for db in ("sqlite", "postgresql") for alembic in (False, True)]


def combination_id(database: str, use_alembic: bool) -> str:
    return f"{database}-{'alembic' if use_alembic else 'no_alembic'}"


def bake_times(work: Path, database: str, use_alembic: bool, count: int) -> list[float]:
    """Seconds per bake, each into a fresh folder."""
    times = []
    for i in range(count):
        out = work / f"bake-{combination_id(database, use_alembic)}-{i}"
        start = time.perf_counter()
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(out),
            default_config=True,
            extra_context={"database": database, "use_alembic": "yes" if use_alembic else "no"},
        )
        times.append(time.perf_counter() - start)
        if i:
            shutil.rmtree(out)
    return times


@dataclass
class Suite:
    sync_s: float
    wall_s: float
    tests: int
    failed: int
    per_test_ms: list[float]
    slowest: str


def run_suite(project: Path, database: str, use_alembic: bool) -> Suite:
    """Install the project, then run its tests once with a JUnit report."""
    start = time.perf_counter()
    # Bytecode compiled by the install, not by each process of the suite (which cannot
    # keep it where PYTHONDONTWRITEBYTECODE is set): what a developer's machine does.
    run(["uv", "sync", "--quiet", "--compile-bytecode"], cwd=project)
    sync_s = time.perf_counter() - start
    report = project / "junit.xml"
    name = combination_id(database, use_alembic).replace("-", "_")
    env = clean_env(TEST_DATABASE_URL=database_url(f"bench_suite_{name}"))
    python = project / ".venv" / "bin" / "python"
    args = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"]
    start = time.perf_counter()
    done = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - start
    if not report.exists():
        raise RuntimeError(f"pytest wrote no report in {project}:\n{done.stdout}\n{done.stderr}")
    cases = ET.parse(report).getroot().iter("testcase")
    times: dict[str, float] = {}
    failed = 0
    for case in cases:
        times[f"{case.get('classname')}::{case.get('name')}"] = float(case.get("time", 0)) * 1000
        failed += any(child.tag in ("failure", "error") for child in case)
    slowest = max(times, key=lambda k: times[k]) if times else "-"
    return Suite(sync_s, wall_s, len(times), failed, list(times.values()), slowest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bakes", type=int, default=5, help="bakes per combination (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-bake-"))
    rows: list[tuple[str, list[float], Suite]] = []
    try:
        for database, use_alembic in COMBINATIONS:
            cid = combination_id(database, use_alembic)
            log(f"{cid}: baking {args.bakes} times")
            times = bake_times(work, database, use_alembic, args.bakes)
            log(f"{cid}: installing and running the test suite")
            project = work / f"bake-{cid}-0" / "my-service"
            rows.append((cid, times, run_suite(project, database, use_alembic)))
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nTemplate {template_revision()}; Python {sys.version.split()[0]}")
    print(
        f"Bake: {args.bakes} in-process bakes per combination (hooks included). Suite: one run;\n"
        "wall = the pytest process; per test = JUnit time (set-up + call + tear-down)."
    )
    print(
        f"{'combination':<22} | {'bake med':>8} {'min':>6} | {'uv sync':>7} | {'tests':>5} "
        f"{'failed':>6} {'wall s':>6} {'tests s':>7} {'wall/test':>9} {'mean':>5} {'median':>6} "
        f"{'max':>6} {'mean w/o max':>12} | slowest test"
    )
    for cid, times, s in rows:
        tests = max(s.tests, 1)
        median = statistics.median(s.per_test_ms) if s.per_test_ms else 0.0
        rest = sorted(s.per_test_ms)[:-1]
        mean_of_rest = sum(rest) / len(rest) if rest else 0.0
        print(
            f"{cid:<22} | {statistics.median(times) * 1000:>6.0f}ms {min(times) * 1000:>4.0f}ms | "
            f"{s.sync_s:>6.1f}s | {s.tests:>5} {s.failed:>6} {s.wall_s:>6.1f} "
            f"{sum(s.per_test_ms) / 1000:>7.1f} {s.wall_s / tests * 1000:>7.0f}ms "
            f"{sum(s.per_test_ms) / tests:>3.0f}ms {median:>4.0f}ms "
            f"{max(s.per_test_ms, default=0):>4.0f}ms {mean_of_rest:>10.0f}ms | "
            f"{s.slowest.removeprefix('tests.')}"
        )
    print(
        "tests s = the sum of the tests' own times; wall - tests s = start-up, imports and "
        "collection."
    )


if __name__ == "__main__":
    main()
