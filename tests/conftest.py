"""Session fixtures: baked projects, the PostgreSQL server they need, and this run's
databases on it; the xdist scheduling that keeps each combination in one worker."""

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .baking import (
    COMBINATIONS,
    POSTGRES_URL,
    Combination,
    Databases,
    Project,
    combination_in,
    combinations,
    new_run_id,
)

RUN_ID = pytest.StashKey[str]()
# Combination id -> the processes ("gw0", or "main" without xdist) that baked it.
BAKED_BY = pytest.StashKey[dict[str, list[str]]]()
# Set once the `postgres` fixture found the server answering, in this process.
SERVER_SEEN = pytest.StashKey[bool]()
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_configure(config: pytest.Config) -> None:
    """One run id per session: made by the controller, handed to each xdist worker."""
    workerinput = getattr(config, "workerinput", None)
    config.stash[RUN_ID] = workerinput["template_run_id"] if workerinput else new_run_id()
    config.stash[BAKED_BY] = {}
    config.stash[SERVER_SEEN] = False


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput["template_run_id"] = node.config.stash[RUN_ID]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup`, grouping every test of a combination whatever its node id.

    pytest-xdist 3.8 groups by appending `@group` to each node id, which pytest 9.2
    ignores (pytest-xdist issue #1386): tests of one combination would then be spread
    over the workers and the combination baked in each. The combination is in the
    node id's parameters, so the scheduler reads it there.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class CombinationScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return combination_in(nodeid) or super()._split_scope(nodeid)

    return CombinationScheduling(config, log)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Workers report which combinations they baked; the controller checks each was
    baked once (a second bake means the grouping above broke)."""
    config = session.config
    if hasattr(config, "workeroutput"):
        config.workeroutput["template_baked"] = config.stash[BAKED_BY]
        return
    twice = {cid: who for cid, who in config.stash[BAKED_BY].items() if len(who) > 1}
    if twice and config.getvalue("dist") == "loadgroup":
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_sep("=", f"baked more than once in this session: {twice}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    baked = getattr(node, "workeroutput", {}).get("template_baked", {})
    for cid, who in baked.items():
        node.config.stash[BAKED_BY].setdefault(cid, []).extend(who)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """In CI (CI=true) nothing may skip: a skipped test there is a failed one."""
    report = yield
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may skip: {reason}"
    return report


@pytest.fixture(scope="session")
def databases(request: pytest.FixtureRequest) -> Databases:
    """This run's database names on the server at TEST_DATABASE_URL."""
    return Databases(POSTGRES_URL, request.config.stash[RUN_ID])


@pytest.fixture(scope="session")
def project(
    cookies_session: Any, databases: Databases, request: pytest.FixtureRequest
) -> Iterator[Callable[[Combination], Project]]:
    """Bake a combination on first request; later requests get the same project.

    At the end of the session, every database of this run for a PostgreSQL combination
    that ran anything is dropped, and the server is asked whether any is left.
    """
    made: dict[Combination, Project] = {}
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")

    def get(combination: Combination) -> Project:
        if combination not in made:
            result = cookies_session.bake(extra_context=combination.context)
            assert result.exit_code == 0, result.exception
            made[combination] = Project(combination, Path(result.project_path), databases)
            request.config.stash[BAKED_BY].setdefault(combination.id, []).append(worker)
        return made[combination]

    yield get

    touched = sorted(databases.touched & set(made), key=COMBINATIONS.index)
    if not touched:
        return
    if unreachable() is not None:
        if request.config.stash[SERVER_SEEN]:
            pytest.fail("PostgreSQL stopped answering: this run's databases were not dropped")
        return  # it never answered: nothing can have been created
    left = {c.id: made[c].admin("drop", databases.prefix(c)) for c in touched}
    left = {cid: names for cid, names in left.items() if names}
    if left:
        pytest.fail(f"databases of this run left behind after dropping them: {left}")


@pytest.fixture(params=combinations())
def baked(request: pytest.FixtureRequest, project: Callable[[Combination], Project]) -> Project:
    """The baked project of each combination (or of those a test names, with
    `@pytest.mark.parametrize("baked", combinations(...), indirect=True)`)."""
    combination: Combination = request.param
    return project(combination)


@pytest.fixture
def baked_copy(baked: Project, tmp_path: Path) -> Project:
    """A copy of `baked` to change freely: no environment yet (its first `uv` syncs one)
    and a PostgreSQL database of its own, dropped with the run's at the session's end."""
    return baked.copy_to(tmp_path / baked.path.name)


def unreachable() -> str | None:
    """Why nothing answers at TEST_DATABASE_URL's host and port, or None when it does."""
    parts = urlsplit(POSTGRES_URL)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        return f"PostgreSQL is not reachable at {host}:{port} ({exc})"
    return None


@pytest.fixture(scope="session")
def postgres(request: pytest.FixtureRequest) -> str:
    """The PostgreSQL server's URL; fails (never skips) when nothing listens there."""
    problem = unreachable()
    if problem is not None:
        pytest.fail(f"{problem}; start it, or point TEST_DATABASE_URL at a server")
    request.config.stash[SERVER_SEEN] = True
    return POSTGRES_URL
