"""The option combinations, and a baked project with commands to run in it.

Tests that use a combination carry its xdist group, so that under pytest-xdist all of
them run in the worker that baked it (`--dist loadgroup`) and each is baked once.
"""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

TEMPLATE = Path(__file__).resolve().parent.parent
# One variable says where PostgreSQL is; each combination gets its own database in it.
POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres"
)
DATABASES = ("sqlite", "postgresql")
ALEMBIC = (False, True)


@dataclass(frozen=True)
class Combination:
    database: str
    use_alembic: bool

    @property
    def id(self) -> str:
        return f"{self.database}-{'alembic' if self.use_alembic else 'no_alembic'}"

    @property
    def context(self) -> dict[str, str]:
        return {"database": self.database, "use_alembic": "yes" if self.use_alembic else "no"}

    @property
    def test_database_url(self) -> str:
        """A database of its own, so that combinations tested in parallel never meet."""
        parts = urlsplit(POSTGRES_URL)
        return urlunsplit(parts._replace(path=f"/template_{self.id.replace('-', '_')}"))


COMBINATIONS = [Combination(db, alembic) for db in DATABASES for alembic in ALEMBIC]


def each_combination() -> list[object]:
    """Parameters for a test that runs once per combination, in that combination's group."""
    return [pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(c.id)) for c in COMBINATIONS]


@dataclass
class Project:
    combination: Combination
    path: Path
    synced: bool = False

    def run(
        self, *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the project; on failure, show everything it printed."""
        full_env = {**os.environ, "TEST_DATABASE_URL": self.combination.test_database_url}
        full_env.pop("VIRTUAL_ENV", None)
        full_env.update(env or {})
        result = subprocess.run(
            args, cwd=self.path, env=full_env, capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"{' '.join(args)} exited {result.returncode} in {self.path}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def uv(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run a command in the project's own environment, created on first use."""
        if not self.synced:
            self.run("uv", "sync", "--quiet")
            self.synced = True
        return self.run("uv", "run", "--no-sync", *args, env=env)

    def files(self) -> list[Path]:
        skip = {".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache", "__pycache__"}
        return sorted(p for p in self.path.rglob("*") if p.is_file() and not skip & set(p.parts))
