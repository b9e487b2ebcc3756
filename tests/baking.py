"""The option combinations, a baked project with commands to run in it, and the names of
this run's PostgreSQL databases.

A test that needs a baked project asks for the `baked` fixture (see conftest.py): it runs
once per combination, or for the combinations it names with
`@pytest.mark.parametrize("baked", combinations(use_alembic=True), indirect=True)`.
Each combination is baked once per session; under pytest-xdist all of its tests run in
the worker that baked it (conftest.py's scheduler groups them by combination).

A test that changes a project works on a copy, never on the shared one: the
`baked_copy` fixture, or `baked.copy_to(path)`, copies the tree without `.venv` and
caches; the copy's first `uv` syncs its own environment (from the shared uv cache), and
on PostgreSQL its TEST_DATABASE_URL names a database of its own:

    def test_recipe(baked_copy: Project, request: pytest.FixtureRequest) -> None:
        ...  # edit files under baked_copy.path
        if baked_copy.needs_server:
            request.getfixturevalue("postgres")
        baked_copy.uv("pytest", "-q", "-p", "no:cacheprovider")

A test that runs anything touching PostgreSQL requests the `postgres` fixture first
(`if baked.needs_server: request.getfixturevalue("postgres")`), so that it fails, never
skips, when no server answers.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import pytest

TEMPLATE = Path(__file__).resolve().parent.parent
# One variable says where PostgreSQL is; the database it names is where this run
# connects to create and drop its own, and the stem of their names.
POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres"
)
DATABASES = ("sqlite", "postgresql")
ALEMBIC = (False, True)


@dataclass(frozen=True)
class Combination:
    database: str
    use_alembic: bool
    use_opentelemetry: bool = False

    @property
    def id(self) -> str:
        alembic = "alembic" if self.use_alembic else "no_alembic"
        return f"{self.database}-{alembic}{'-otel' if self.use_opentelemetry else ''}"

    @property
    def key(self) -> str:
        """What names the combination's databases: its database and Alembic answers, which
        tell the combinations apart (asserted below) and keep the names short."""
        return f"{self.database}_{'alembic' if self.use_alembic else 'no_alembic'}"

    @property
    def context(self) -> dict[str, str]:
        return {
            "database": self.database,
            "use_alembic": "yes" if self.use_alembic else "no",
            "use_opentelemetry": "yes" if self.use_opentelemetry else "no",
        }


# Each value of each option with each database, in four bakes rather than the eight of
# the full product (four is the least: each database needs Alembic on and off). Tracing
# is independent of the database and of Alembic, so it rides along: on with Alembic on
# SQLite, on without it on PostgreSQL; every pair of answers (database x Alembic,
# database x OpenTelemetry, Alembic x OpenTelemetry) still occurs in some bake.
COMBINATIONS = [
    Combination(db, alembic, use_opentelemetry=alembic != (db == "postgresql"))
    for db in DATABASES
    for alembic in ALEMBIC
]
assert len({c.key for c in COMBINATIONS}) == len(COMBINATIONS)


def combinations(
    database: str | None = None,
    use_alembic: bool | None = None,
    use_opentelemetry: bool | None = None,
) -> list[object]:
    """Parameters for `baked`: the combinations that match, each with its xdist group."""
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(c.id))
        for c in COMBINATIONS
        if database in (None, c.database)
        and use_alembic in (None, c.use_alembic)
        and use_opentelemetry in (None, c.use_opentelemetry)
    ]


def combination_in(nodeid: str) -> str | None:
    """The id of the combination a test item runs with, read from its node id."""
    params = re.search(r"\[(.*)\](?:@[^\]]*)?$", nodeid)
    if params is None:
        return None
    for combination in COMBINATIONS:
        if re.search(rf"(?:^|-){re.escape(combination.id)}(?:-|$)", params.group(1)):
            return combination.id
    return None


# --- database names

MAX_NAME_BYTES = 63  # PostgreSQL truncates longer identifiers
RUN_ID_LENGTH = 8  # hex digits
MAX_ROLE_LENGTH = 16  # a copy's role and one of its own: c1a2b3c_cli
# What the stem may keep so that the longest name still fits.
STEM_BYTES = MAX_NAME_BYTES - (
    len("_") + RUN_ID_LENGTH + len("_") + max(len(c.key) for c in COMBINATIONS)
    + len("_") + MAX_ROLE_LENGTH
)  # fmt: skip
assert STEM_BYTES >= 12


def new_run_id() -> str:
    """A suffix for one pytest session's databases (its xdist workers share it)."""
    return secrets.token_hex(RUN_ID_LENGTH // 2)


@dataclass(frozen=True)
class Databases:
    """The databases of one run on the server at `server_url`.

    A name is `<stem>_<run>_<combination>[_<role>]`: the stem is the database named in
    `server_url` (lower-cased, anything but [a-z0-9_] replaced by `_`, cut to STEM_BYTES),
    `run` the session's suffix, the combination's key (`postgresql_alembic`), and a role
    for any database beyond the project's test database (`cli`, or `c1a2b3c` for a copy).
    Another run has another suffix, so nothing here touches its databases.
    """

    server_url: str
    run: str
    # Combinations for which a command ran that might have created a database.
    touched: set[Combination] = field(default_factory=set, compare=False, hash=False)

    @property
    def stem(self) -> str:
        named = unquote(urlsplit(self.server_url).path.lstrip("/")) or "postgres"
        return re.sub(r"[^a-z0-9_]", "_", named.lower())[:STEM_BYTES]

    def prefix(self, combination: Combination) -> str:
        """Every database of this run for `combination` is named this, or this + `_...`."""
        return f"{self.stem}_{self.run}_{combination.key}"

    def name(self, combination: Combination, role: str = "") -> str:
        assert re.fullmatch(rf"[a-z0-9_]{{0,{MAX_ROLE_LENGTH}}}", role), role
        assert re.fullmatch(r"[0-9a-f]+", self.run), self.run
        name = self.prefix(combination) + (f"_{role}" if role else "")
        assert len(name.encode()) <= MAX_NAME_BYTES, name
        return name

    def url(self, name: str) -> str:
        """The server's URL with database `name`."""
        return urlunsplit(urlsplit(self.server_url)._replace(path=f"/{name}"))

    @property
    def admin_dsn(self) -> str:
        """Where to connect for CREATE and DROP DATABASE: the database the URL names."""
        return urlunsplit(urlsplit(self.server_url)._replace(scheme="postgresql"))


# Runs with the project's own Python (PostgreSQL projects have asyncpg). Prints, as JSON,
# the databases named `prefix` or `prefix_...` that exist after the action.
ADMIN = r"""
import asyncio, json, sys
import asyncpg

async def main(dsn: str, action: str, prefix: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "\\_%"
        query = "SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2"
        if action == "create":
            await conn.execute(f'DROP DATABASE IF EXISTS "{prefix}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{prefix}"')
        elif action == "drop":
            for row in await conn.fetch(query, prefix, like):
                await conn.execute(f'DROP DATABASE IF EXISTS "{row[0]}" WITH (FORCE)')
        elif action != "list":
            raise SystemExit(f"unknown action {action!r}")
        print(json.dumps(sorted(row[0] for row in await conn.fetch(query, prefix, like))))
    finally:
        await conn.close()

asyncio.run(main(*sys.argv[1:]))
"""

# --- a baked project

NOT_COPIED = (".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache", "__pycache__")


@dataclass
class Project:
    combination: Combination
    path: Path
    databases: Databases
    # "" for the baked project; a copy gets a role of its own, hence its own database.
    role: str = ""
    synced: bool = False

    @property
    def needs_server(self) -> bool:
        return self.combination.database == "postgresql"

    @property
    def package(self) -> str:
        (package,) = [p.parent.name for p in (self.path / "src").glob("*/__init__.py")]
        return package

    def database_name(self, role: str = "") -> str:
        """A database of this run for this project: its test database, or one for `role`."""
        return self.databases.name(self.combination, "_".join(filter(None, (self.role, role))))

    def database_url(self, role: str = "") -> str:
        return self.databases.url(self.database_name(role))

    def run(
        self, *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the project; on failure, show everything it printed.

        On PostgreSQL, TEST_DATABASE_URL names the project's own database of this run,
        which its test suite creates if missing and the session drops at its end.
        """
        full_env = dict(os.environ)
        full_env.pop("VIRTUAL_ENV", None)
        if self.needs_server:
            full_env["TEST_DATABASE_URL"] = self.database_url()
            self.databases.touched.add(self.combination)
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
            # Compiled once here: where PYTHONDONTWRITEBYTECODE is set, as on CI machines,
            # every Python process would otherwise compile each module it imports anew.
            self.run("uv", "sync", "--quiet", "--compile-bytecode")
            self.synced = True
        return self.run("uv", "run", "--no-sync", *args, env=env)

    def admin(self, action: str, name: str) -> list[str]:
        """`create` database `name` (anew), `drop` it and every `name_...`, or `list` them.

        Returns the databases named `name` or `name_...` that exist afterwards.
        """
        assert self.needs_server
        assert name.startswith(self.databases.prefix(self.combination)), name
        output = self.uv("python", "-c", ADMIN, self.databases.admin_dsn, action, name).stdout
        found: list[str] = json.loads(output.strip().splitlines()[-1])
        return found

    def copy_to(self, destination: Path) -> "Project":
        """A copy of the project at `destination` (without its environment or caches),
        with a PostgreSQL database of its own; the session drops it at its end."""
        shutil.copytree(self.path, destination, ignore=shutil.ignore_patterns(*NOT_COPIED))
        return Project(
            self.combination, destination, self.databases, role=f"c{secrets.token_hex(3)}"
        )

    def files(self) -> list[Path]:
        return sorted(
            p for p in self.path.rglob("*") if p.is_file() and not set(NOT_COPIED) & set(p.parts)
        )
