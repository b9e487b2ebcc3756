"""Session fixtures: baked projects, and the PostgreSQL server the tests need."""

import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .baking import POSTGRES_URL, Combination, Project


@pytest.fixture(scope="session")
def project(cookies_session: object) -> Callable[[Combination], Project]:
    """Bake a combination on first request; later requests get the same project."""
    baked: dict[Combination, Project] = {}

    def get(combination: Combination) -> Project:
        if combination not in baked:
            result = cookies_session.bake(extra_context=combination.context)  # type: ignore[attr-defined]
            assert result.exit_code == 0, result.exception
            baked[combination] = Project(combination, Path(result.project_path))
        return baked[combination]

    return get


@pytest.fixture(scope="session")
def postgres() -> str:
    """The PostgreSQL server's URL; fails (never skips) when nothing listens there."""
    parts = urlsplit(POSTGRES_URL)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {host}:{port} ({exc}); start it, or point "
            "TEST_DATABASE_URL at a server"
        )
    return POSTGRES_URL
