"""Each combination passes its own lint, type check and test suite, as rendered; the
PostgreSQL databases it uses are this run's own."""

import re
from urllib.parse import urlsplit

import pytest

from .baking import (
    COMBINATIONS,
    MAX_NAME_BYTES,
    STEM_BYTES,
    Databases,
    Project,
    combinations,
    new_run_id,
)


def test_ruff(baked: Project) -> None:
    baked.uv("ruff", "check", ".")
    baked.uv("ruff", "format", "--check", ".")


def test_mypy_strict(baked: Project) -> None:
    baked.uv("mypy")


def test_generated_test_suite_passes(baked: Project, request: pytest.FixtureRequest) -> None:
    if baked.needs_server:
        request.getfixturevalue("postgres")
    result = baked.uv("pytest", "-q", "-p", "no:cacheprovider")
    assert " passed" in result.stdout
    assert "skipped" not in result.stdout


# --- this run's databases

STEM_CASES = {
    "default": ("postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres", "postgres"),
    "long": ("postgresql+asyncpg://u:p@db:6543/" + "Orders-Ünïcode" * 8, "orders__n_code" * 8),
    "unnamed": ("postgresql+asyncpg://u:p@db:6543", "postgres"),
}
ROLES = ["", "cli", "probe", "c1a2b3c", "c1a2b3c_cli"]


@pytest.mark.parametrize(("server", "stem"), STEM_CASES.values(), ids=STEM_CASES)
def test_database_names_differ_between_runs_and_fit_postgresql(server: str, stem: str) -> None:
    runs = [Databases(server, new_run_id()) for _ in range(2)]
    names = [{run.name(c, role) for c in COMBINATIONS for role in ROLES} for run in runs]

    assert runs[0].run != runs[1].run
    assert len(names[0]) == len(COMBINATIONS) * len(ROLES)
    assert names[0].isdisjoint(names[1])
    for name in names[0] | names[1]:
        assert len(name.encode()) <= MAX_NAME_BYTES
        assert re.fullmatch(r"[a-z0-9_]+", name)
        assert name.startswith(stem[:STEM_BYTES] + "_")
    run = runs[0]
    for combination in COMBINATIONS:
        assert run.prefix(combination) == f"{stem[:STEM_BYTES]}_{run.run}_{combination.key}"
        name = run.name(combination, "cli")
        assert urlsplit(run.url(name)).path == f"/{name}"
        assert urlsplit(run.url(name)).netloc == urlsplit(server).netloc


def test_a_combination_s_prefix_finds_none_of_another_s_databases() -> None:
    """The end of the session drops `prefix` and `prefix_...` per combination: never a
    database of a combination that another worker may still be using."""
    run = Databases("postgresql+asyncpg://postgres@localhost/postgres", new_run_id())
    for mine in COMBINATIONS:
        prefix = run.prefix(mine)
        for other in set(COMBINATIONS) - {mine}:
            for role in ROLES:
                name = run.name(other, role)
                assert name != prefix and not name.startswith(prefix + "_")


@pytest.mark.parametrize("baked", combinations(database="postgresql"), indirect=True)
def test_this_run_s_databases_are_found_and_dropped(
    baked: Project, request: pytest.FixtureRequest
) -> None:
    """What the end of the session relies on: the server lists a database of this run by
    its prefix, and dropping by prefix removes it and what starts with it."""
    request.getfixturevalue("postgres")
    probe = baked.database_name("probe")

    assert baked.admin("create", probe) == [probe]
    assert probe in baked.admin("list", baked.databases.prefix(baked.combination))
    assert baked.admin("drop", probe) == []
    assert probe not in baked.admin("list", baked.databases.prefix(baked.combination))
