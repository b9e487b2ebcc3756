"""What each combination renders: valid files, no Jinja left, no trace of other choices.

GitHub Actions expressions (`${{ ... }}`) are the one `{{` a project may hold.
"""

import ast
import re
import subprocess
import tomllib

import pytest
import yaml

from .baking import Project

# Words that must not appear in a project that did not choose their option.
FOREIGN = {
    "sqlite": re.compile(r"asyncpg|postgres", re.IGNORECASE),
    "postgresql": re.compile(r"sqlite", re.IGNORECASE),
}
ALEMBIC_WORDS = re.compile(r"alembic|migration", re.IGNORECASE)
OPENTELEMETRY_WORDS = re.compile(
    r"opentelemetry|\botel|tracing|trace_id|span_id|\bspans?\b|\btraces\b", re.IGNORECASE
)
# Without OpenTelemetry, main.py switches FastAPI's own off, one key being "tracing".
TELEMETRY_OFF = 'telemetry={"tracing": False, "metrics": False, "logs": False}'


def test_no_template_markup_survives(baked: Project) -> None:
    leftovers = [
        str(path.relative_to(baked.path))
        for path in baked.files()
        if re.search(r"(?<!\$)\{\{|\{%|\{#|cookiecutter", path.read_text())
    ]
    assert leftovers == []


def test_every_file_parses(baked: Project) -> None:
    for path in baked.files():
        text = path.read_text()
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in {".yml", ".yaml"}:
            yaml.safe_load(text)


def test_nothing_of_the_other_choices_remains(baked: Project) -> None:
    names = {str(path.relative_to(baked.path)) for path in baked.files()}
    combination = baked.combination
    foreign = FOREIGN[combination.database]
    traces = [name for name in names if foreign.search(baked.path.joinpath(name).read_text())]
    if not combination.use_alembic:
        traces += [name for name in names if ALEMBIC_WORDS.search(name)]
        traces += [
            name for name in names if ALEMBIC_WORDS.search(baked.path.joinpath(name).read_text())
        ]
    if not combination.use_opentelemetry:
        # uv.lock once synced: FastAPI itself depends on opentelemetry-api.
        traces += [
            name
            for name in names - {"uv.lock"}
            if OPENTELEMETRY_WORDS.search(name)
            or OPENTELEMETRY_WORDS.search(
                baked.path.joinpath(name).read_text().replace(TELEMETRY_OFF, "", 1)
            )
        ]
    main = (baked.path / "src" / baked.package / "main.py").read_text()
    assert (TELEMETRY_OFF in main) != combination.use_opentelemetry
    assert traces == []
    dependencies = tomllib.loads((baked.path / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]
    driver = "asyncpg" if combination.database == "postgresql" else "aiosqlite"
    assert any(dep.startswith(driver) for dep in dependencies)
    assert any(dep.startswith("alembic") for dep in dependencies) == combination.use_alembic
    assert (
        any(dep.startswith("opentelemetry-") for dep in dependencies)
        == combination.use_opentelemetry
    )


def test_defaults_give_a_sqlite_project_without_alembic_or_tracing(cookies: object) -> None:
    result = cookies.bake()  # type: ignore[attr-defined]

    assert result.exit_code == 0, result.exception
    assert result.project_path.name == "my-service"
    package = result.project_path / "src" / "my_service"
    assert "sqlite+aiosqlite" in (package / "config.py").read_text()
    assert not (result.project_path / "alembic.ini").exists()
    assert not (package / "tracing.py").exists()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_gitignore_keeps_secrets_and_data_out(cookies: object, database: str) -> None:
    result = cookies.bake(extra_context={"database": database})  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.exception  # else `git init None` lands in the cwd
    project = result.project_path
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    kept_out = [".env", "my_service.db", "my_service.db-wal", ".venv/bin/python"]
    kept_in = [".env.example", "uv.lock", "src/my_service/main.py"]

    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *kept_out, *kept_in],
        cwd=project, capture_output=True, text=True, check=False,
    ).stdout.split()  # fmt: skip

    assert ignored == kept_out
