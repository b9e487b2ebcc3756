"""Each combination passes its own lint, type check and test suite, as rendered; the
PostgreSQL databases it uses are this run's own."""

import re
from urllib.parse import urlsplit

import pytest

from .baking import (
    COMBINATIONS,
    MAX_NAME_BYTES,
    NOT_COPIED,
    STEM_BYTES,
    Databases,
    Project,
    combination_in,
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


def test_a_copy_has_the_files_and_a_database_of_its_own(
    baked: Project, baked_copy: Project
) -> None:
    def relative(project: Project) -> list[str]:
        return [str(path.relative_to(project.path)) for path in project.files()]

    assert relative(baked_copy) == relative(baked)
    assert not any((baked_copy.path / name).exists() for name in NOT_COPIED)
    assert baked_copy.combination == baked.combination
    assert not baked_copy.synced
    assert baked_copy.database_name() != baked.database_name()
    prefix = baked.databases.prefix(baked.combination)
    assert baked_copy.database_name().startswith(prefix + "_")
    assert baked_copy.database_name("cli").startswith(baked_copy.database_name() + "_")


@pytest.mark.parametrize(
    ("nodeid", "group"),
    [
        ("tests/test_bake.py::test_x[postgresql-alembic]", "postgresql-alembic"),
        ("tests/test_bake.py::test_x[sqlite-no_alembic]", "sqlite-no_alembic"),
        (
            "tests/test_bake.py::test_x[sqlite-alembic-otel]@sqlite-alembic-otel",
            "sqlite-alembic-otel",
        ),
        ("tests/test_x.py::test_x[tags-postgresql-no_alembic-otel]", "postgresql-no_alembic-otel"),
        ("tests/test_x.py::test_x[postgresql-alembic-tags]", "postgresql-alembic"),
        ("tests/test_x.py::test_x[postgresql-no_alembic]", None),
        ("tests/test_bake.py::test_gitignore_keeps_secrets_and_data_out[sqlite]", None),
        ("tests/test_hooks.py::test_each_problem_is_one_line", None),
    ],
)
def test_the_scheduler_finds_a_test_s_combination(nodeid: str, group: str | None) -> None:
    assert combination_in(nodeid) == group
