"""What ships a generated project: CI workflow, image, compose file, pre-commit hooks.

Each file is parsed and its structure checked for every combination; the template's own
workflow is checked too. actionlint cannot be installed here (its PyPI package downloads
a binary when it builds); check-jsonschema's bundled schemas for GitHub workflows and
Compose files, and hadolint, work offline and run when installed in this environment.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from .baking import TEMPLATE, Combination, Project, each_combination

GENERATED_WORKFLOW = ".github/workflows/ci.yml"
DRIVER = {"sqlite": "sqlite+aiosqlite://", "postgresql": "postgresql+asyncpg://"}
PACKAGE = "my_service"  # the default package name, which the bakes keep


def load(baked: Project, relative: str) -> Any:
    return yaml.safe_load((baked.path / relative).read_text())


def triggers(workflow: dict[Any, Any]) -> Any:
    """The `on:` table; YAML 1.1 (PyYAML) reads the bare key `on` as the boolean true."""
    return workflow.get("on", workflow.get(True))


def commands(job: dict[str, Any]) -> list[str]:
    """Every command line the job's steps run."""
    return [
        line.strip()
        for step in job["steps"]
        for line in str(step.get("run", "")).splitlines()
        if line.strip()
    ]


def uses(job: dict[str, Any], action: str) -> dict[str, Any]:
    found = [step for step in job["steps"] if str(step.get("uses", "")).startswith(action + "@")]
    assert len(found) == 1, f"expected one step using {action}"
    return found[0]


def check_postgres_service(service: dict[str, Any]) -> None:
    assert service["image"] == "postgres:17"
    assert service["env"]["POSTGRES_PASSWORD"] == "postgres"
    assert "5432:5432" in [str(port) for port in service["ports"]]
    assert "--health-cmd pg_isready" in service["options"]


# --- the generated project's GitHub workflow


@pytest.mark.parametrize("combination", each_combination())
def test_workflow_lints_type_checks_and_tests(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    workflow = load(project(combination), GENERATED_WORKFLOW)

    assert {"push", "pull_request"} <= set(triggers(workflow))
    job = workflow["jobs"]["check"]
    assert job["runs-on"] == "ubuntu-latest"
    uses(job, "actions/checkout")
    assert uses(job, "astral-sh/setup-uv")["with"]["enable-cache"] is True
    run = commands(job)
    for command in (
        "uv sync --locked",
        "uv run ruff check .",
        "uv run ruff format --check .",
        "uv run mypy",
        "uv run pytest",
    ):
        assert command in run
    # Installing comes before anything that uses the environment.
    assert run.index("uv sync --locked") < run.index("uv run ruff check .")
    image = workflow["jobs"]["image"]
    assert any(line.startswith("docker build ") for line in commands(image))


@pytest.mark.parametrize("combination", each_combination())
def test_workflow_checks_migrations_only_with_alembic(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    workflow = load(project(combination), GENERATED_WORKFLOW)
    job = workflow["jobs"]["check"]
    drift = [step for step in job["steps"] if "alembic" in str(step.get("run", ""))]

    if not combination.use_alembic:
        assert drift == []
        return
    assert len(drift) == 1
    lines = [line.strip() for line in drift[0]["run"].splitlines()]
    assert lines == ["uv run alembic upgrade head", "uv run alembic check"]
    # The Alembic environment reads DATABASE_URL from the settings.
    url = drift[0]["env"]["DATABASE_URL"]
    assert url.startswith(DRIVER[combination.database])
    if combination.database == "postgresql":
        # A database that exists in the service container.
        service_env = job["services"]["postgres"]["env"]
        database = url.rsplit("/", 1)[1]
        assert database in {"postgres", service_env.get("POSTGRES_DB")}
        assert "@localhost:5432/" in url


@pytest.mark.parametrize("combination", each_combination())
def test_workflow_has_a_postgres_service_only_for_postgresql(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    workflow = load(project(combination), GENERATED_WORKFLOW)
    job = workflow["jobs"]["check"]

    if combination.database != "postgresql":
        assert "services" not in job
        assert "TEST_DATABASE_URL" not in job.get("env", {})
        return
    check_postgres_service(job["services"]["postgres"])
    assert job["env"]["TEST_DATABASE_URL"] == (
        f"postgresql+asyncpg://postgres:postgres@localhost:5432/{PACKAGE}_test"
    )


@pytest.mark.parametrize("combination", each_combination())
def test_workflow_expressions_survive_rendering(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    """Every `${{ ... }}` in the template is protected by {% raw %} and reaches the project."""
    source = (TEMPLATE / "{{cookiecutter.project_slug}}" / GENERATED_WORKFLOW).read_text()
    rendered = (project(combination).path / GENERATED_WORKFLOW).read_text()

    outside_raw = re.sub(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", "", source, flags=re.S)
    assert "${{" not in outside_raw
    expressions = re.findall(r"\$\{\{.*?\}\}", source)
    assert re.findall(r"\$\{\{.*?\}\}", rendered) == expressions


# --- compose.yaml


@pytest.mark.parametrize("combination", each_combination())
def test_compose_app_is_built_here_and_health_checked(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    compose = load(project(combination), "compose.yaml")
    app = compose["services"]["app"]

    assert app["build"] == "."
    assert "8000:8000" in app["ports"]
    assert "/health/live" in " ".join(app["healthcheck"]["test"])
    url = app["environment"]["DATABASE_URL"]
    assert url.startswith(DRIVER[combination.database])
    expected = {"app"}
    if combination.database == "postgresql":
        expected.add("postgres")
    if combination.use_alembic:
        expected.add("migrate")
    assert set(compose["services"]) == expected


@pytest.mark.parametrize("combination", each_combination())
def test_compose_postgres_is_healthy_before_the_app(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    compose = load(project(combination), "compose.yaml")
    services = compose["services"]
    app = services["app"]

    if combination.database != "postgresql":
        assert "postgres" not in services
        # The database file lives in a named volume.
        volume, target = app["volumes"][0].split(":")[:2]
        assert volume in compose["volumes"]
        assert app["environment"]["DATABASE_URL"] == f"sqlite+aiosqlite:///{target}/{PACKAGE}.db"
        return
    postgres = services["postgres"]
    assert postgres["image"] == "postgres:17"
    assert postgres["environment"]["POSTGRES_DB"] == PACKAGE
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert app["environment"]["DATABASE_URL"].endswith(f"@postgres:5432/{PACKAGE}")


@pytest.mark.parametrize("combination", each_combination())
def test_compose_migrates_once_before_the_app(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    compose = load(project(combination), "compose.yaml")
    services = compose["services"]
    app = services["app"]

    if not combination.use_alembic:
        assert "migrate" not in services
        return
    migrate = services["migrate"]
    assert migrate["command"] == ["alembic", "upgrade", "head"]
    assert migrate["restart"] == "no"
    # The same image, the same database.
    assert migrate["image"] == app["image"]
    assert migrate["environment"]["DATABASE_URL"] == app["environment"]["DATABASE_URL"]
    assert migrate.get("volumes") == app.get("volumes")
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    if combination.database == "postgresql":
        assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


# --- Dockerfile and .dockerignore


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    assert pending == "", "a continued line never ends"
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def stages(dockerfile: Path) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions(dockerfile):
        if instruction[0] == "FROM":
            found.append([])
        elif found:
            found[-1].append(instruction)
    return found


@pytest.mark.parametrize("combination", each_combination())
def test_dockerfile_builds_with_uv_in_a_separate_stage(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    dockerfile = project(combination).path / "Dockerfile"
    froms = [args for name, args in instructions(dockerfile) if name == "FROM"]
    builder, runtime = stages(dockerfile)[0], stages(dockerfile)[-1]

    assert len(froms) >= 2
    assert froms[0].lower().endswith(" as builder")
    uv_copy = [args for name, args in builder if name == "COPY" and "astral-sh/uv" in args]
    assert len(uv_copy) == 1
    assert re.search(r"--from=ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+ /uv /bin/uv", uv_copy[0])
    syncs = [args for name, args in builder if name == "RUN" and "uv sync" in args]
    assert syncs
    for sync in syncs:
        assert "--mount=type=cache" in sync
        for flag in ("--locked", "--no-dev", "--no-editable"):
            assert flag in sync
    # The runtime stage gets the environment from the builder, not uv or the sources.
    copies = [args for name, args in runtime if name == "COPY"]
    assert any(args.startswith("--from=builder") and ".venv" in args for args in copies)
    assert not any("astral-sh/uv" in args or " src" in args for args in copies)


@pytest.mark.parametrize("combination", each_combination())
def test_dockerfile_runs_unprivileged_and_health_checked(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    runtime = stages(project(combination).path / "Dockerfile")[-1]
    by_name: dict[str, list[str]] = {}
    for name, args in runtime:
        by_name.setdefault(name, []).append(args)

    assert len(by_name["USER"]) == 1
    user = by_name["USER"][0].split(":")[0]
    assert user not in {"root", "0"}
    (healthcheck,) = by_name["HEALTHCHECK"]
    assert "/health/live" in healthcheck
    assert "urllib" in healthcheck  # slim images have no curl
    (cmd,) = by_name["CMD"]
    serve = [
        "uvicorn", f"{PACKAGE}.main:app", "--host", "0.0.0.0", "--port", "8000",
        "--no-access-log",
    ]  # fmt: skip
    if combination.database == "postgresql":
        # One worker per CPU unless WEB_CONCURRENCY is set.
        assert yaml.safe_load(cmd) == [
            "sh", "-c",
            f'exec {" ".join(serve)} --workers "${{WEB_CONCURRENCY:-$(nproc)}}"',
        ]  # fmt: skip
    else:
        assert yaml.safe_load(cmd) == serve
        assert any("WEB_CONCURRENCY=1" in args for args in by_name["ENV"])


@pytest.mark.parametrize("combination", each_combination())
def test_dockerfile_copies_migrations_only_with_alembic(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    baked = project(combination)
    runtime = stages(baked.path / "Dockerfile")[-1]
    copied = [
        shlex.split(args)[:-1]
        for name, args in runtime
        if name == "COPY" and not args.startswith("--from")
    ]
    sources = {source for sources in copied for source in sources}

    expected = {"alembic.ini", "migrations"} if combination.use_alembic else set()
    assert sources == expected


@pytest.mark.parametrize("combination", each_combination())
def test_dockerfile_copies_only_what_exists_and_is_not_ignored(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    baked = project(combination)
    ignored = {
        line.strip()
        for line in (baked.path / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    sources: set[str] = set()
    for name, args in instructions(baked.path / "Dockerfile"):
        if name == "COPY" and not args.startswith("--from"):
            sources.update(shlex.split(args)[:-1])
        if name == "RUN":
            sources.update(re.findall(r"--mount=type=bind,source=([^,\s]+)", args))

    assert sources >= {"pyproject.toml", "uv.lock", "README.md", "src"}
    assert not sources & ignored
    # uv.lock is made by `uv lock` / `uv sync` on the user's machine; the rest ships.
    missing = [source for source in sources - {"uv.lock"} if not (baked.path / source).exists()]
    assert missing == []


@pytest.mark.parametrize("combination", each_combination())
def test_dockerignore_keeps_secrets_and_local_state_out(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    entries = (project(combination).path / ".dockerignore").read_text().splitlines()

    for entry in (".env", ".venv", ".git", "*.db", ".mypy_cache", ".pytest_cache"):
        assert entry in entries


# --- pre-commit


@pytest.mark.parametrize("combination", each_combination())
def test_pre_commit_runs_ruff_and_mypy(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    config = load(project(combination), ".pre-commit-config.yaml")
    repos = {repo["repo"]: repo for repo in config["repos"]}

    ruff = repos["https://github.com/astral-sh/ruff-pre-commit"]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", ruff["rev"])
    hooks = {hook["id"]: hook for hook in ruff["hooks"]}
    assert "--fix" in hooks["ruff-check"]["args"]
    assert "ruff-format" in hooks
    (mypy,) = repos["local"]["hooks"]
    assert mypy["id"] == "mypy"
    assert mypy["entry"] == "uv run mypy"  # in the project's environment, with its deps
    assert mypy["pass_filenames"] is False


# --- the template's own workflow


def test_template_workflow_bakes_against_a_postgres_service() -> None:
    workflow = yaml.safe_load((TEMPLATE / ".github" / "workflows" / "ci.yml").read_text())

    assert {"push", "pull_request"} <= set(triggers(workflow))
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    check_postgres_service(job["services"]["postgres"])
    assert job["env"]["TEST_DATABASE_URL"] == (
        "postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres"
    )
    uses(job, "actions/checkout")
    assert uses(job, "astral-sh/setup-uv")["with"]["enable-cache"] is True
    assert "uv run pytest" in commands(job)


# --- schema and lint checks, with tools from the dev group


def tool(name: str) -> str:
    """The tool from the dev group (or on PATH); its absence is a failure, not a skip."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(name, path=search)
    if found is None:
        pytest.fail(f"{name} is not installed: run `uv sync` to get the dev group")
    return found


def passes(*args: str | Path) -> None:
    result = subprocess.run([str(arg) for arg in args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("combination", each_combination())
def test_workflow_and_compose_match_their_schemas(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    baked = project(combination)
    check = tool("check-jsonschema")

    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        passes(check, "--builtin-schema", schema, baked.path / GENERATED_WORKFLOW)
    passes(check, "--builtin-schema", "vendor.compose-spec", baked.path / "compose.yaml")


def test_template_workflow_matches_its_schema() -> None:
    check = tool("check-jsonschema")

    workflow = TEMPLATE / ".github" / "workflows" / "ci.yml"
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        passes(check, "--builtin-schema", schema, workflow)


@pytest.mark.parametrize("combination", each_combination())
def test_dockerfile_passes_hadolint(
    project: Callable[[Combination], Project], combination: Combination
) -> None:
    passes(tool("hadolint"), "--no-color", project(combination).path / "Dockerfile")
