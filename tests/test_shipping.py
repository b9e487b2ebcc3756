"""What ships a generated project: CI workflow, image, compose file, pre-commit hooks.

The files are checked against each other rather than against restated literals: the
port the image exposes is the one it serves, health-checks and publishes; the user it
runs as is the one it creates; compose's app reaches compose's database; CI's tests
reach CI's service; the defaults in `.env.example` are the settings' own. What guards
behaviour is checked as such (install before use, an unprivileged user, a health check
on a route that exists). The template's own workflow is checked too.

actionlint cannot be installed here (its PyPI package downloads a binary when it
builds); check-jsonschema's bundled schemas for GitHub workflows and Compose files, and
hadolint, work offline and run when installed in this environment.
"""

import ast
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import pytest
import yaml

from .baking import TEMPLATE, Project

GENERATED_WORKFLOW = ".github/workflows/ci.yml"
POSTGRES_PORT = 5432  # where the postgres image listens in its container
LOOPBACK = {"127.0.0.1", "localhost"}


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


def ports(mapping: list[Any]) -> dict[int, int]:
    """Published ports, `"HOST:CONTAINER"` (or `CONTAINER`), as {container: host}."""
    found = {}
    for entry in mapping:
        host, _, container = str(entry).rpartition(":")
        found[int(container)] = int(host or container)
    return found


def image_name(reference: str) -> str:
    """`name:tag` without its tag."""
    name, _, tag = reference.rpartition(":")
    return name if name and "/" not in tag else reference


def urls(text: str) -> list[SplitResult]:
    return [urlsplit(url) for url in re.findall(r"https?://[^\s'\"]+", text)]


def settings_default(baked: Project, field: str) -> Any:
    """The default of a field of `Settings` in the project's config.py, read without
    importing it: a literal, or built from the module's constants."""
    config = baked.path / "src" / baked.package / "config.py"
    tree = ast.parse(config.read_text())
    constants = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def evaluate(node: ast.expr) -> Any:
        if isinstance(node, ast.Name) and node.id in constants:
            return evaluate(constants[node.id])
        if isinstance(node, ast.Call):  # Field(default=...) or Field(...)
            defaults = [kw.value for kw in node.keywords if kw.arg == "default"]
            return evaluate((defaults or node.args)[0])
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return evaluate(node.left) + evaluate(node.right)
        if isinstance(node, ast.JoinedStr):
            return "".join(
                str(evaluate(part.value)) if isinstance(part, ast.FormattedValue) else part.value
                for part in node.values
                if isinstance(part, ast.FormattedValue | ast.Constant)
            )
        return ast.literal_eval(node)

    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Settings":
            for statement in node.body:
                if (
                    isinstance(statement, ast.AnnAssign)
                    and isinstance(statement.target, ast.Name)
                    and statement.target.id == field
                    and statement.value is not None
                ):
                    return evaluate(statement.value)
    pytest.fail(f"no default for {field} in Settings in {config}")


def routes(baked: Project) -> set[str]:
    """`METHOD /path` of every route declared on an APIRouter in the routes package."""
    found: set[str] = set()
    for module in (baked.path / "src" / baked.package / "routes").rglob("*.py"):
        tree = ast.parse(module.read_text())
        prefixes: dict[str, str] = {}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and ast.unparse(node.value.func).endswith("APIRouter")
            ):
                prefix = [kw.value for kw in node.value.keywords if kw.arg == "prefix"]
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        prefixes[target.id] = ast.literal_eval(prefix[0]) if prefix else ""
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and isinstance(decorator.func.value, ast.Name)
                    and decorator.func.value.id in prefixes
                    and decorator.args
                ):
                    path = ast.literal_eval(decorator.args[0])
                    method = decorator.func.attr.upper()
                    found.add(f"{method} {prefixes[decorator.func.value.id]}{path}")
    return found


def check_reaches(
    url: str, service: dict[str, Any], host: set[str], port: int, database: bool = True
) -> None:
    """`url` logs in to the postgres service (as the image's defaults or its env say) at
    `host`:`port`, and (`database`) to a database that exists there."""
    env = service.get("env", service.get("environment", {}))
    parts = urlsplit(url)
    user = env.get("POSTGRES_USER", "postgres")
    assert parts.hostname in host
    assert (parts.port or POSTGRES_PORT) == port
    assert parts.username == user
    assert parts.password == env["POSTGRES_PASSWORD"]
    if database:
        assert parts.path.lstrip("/") in {env.get("POSTGRES_DB", user), "postgres"}


# --- the generated project's GitHub workflow


def test_workflow_lints_type_checks_and_tests(baked: Project) -> None:
    workflow = load(baked, GENERATED_WORKFLOW)

    assert {"push", "pull_request"} <= set(triggers(workflow))
    job = workflow["jobs"]["check"]
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
    # Installing, from the lock file, comes before anything that uses the environment.
    assert run.index("uv sync --locked") < min(
        i for i, line in enumerate(run) if line.startswith("uv run ")
    )


def test_workflow_builds_the_image_compose_runs(baked: Project) -> None:
    workflow = load(baked, GENERATED_WORKFLOW)
    app = load(baked, "compose.yaml")["services"]["app"]
    (build,) = [line for line in commands(workflow["jobs"]["image"]) if "docker build" in line]
    words = shlex.split(build)
    tag = words[words.index("--tag") + 1] if "--tag" in words else words[words.index("-t") + 1]

    uses(workflow["jobs"]["image"], "actions/checkout")
    assert image_name(tag) == image_name(app["image"])
    # The same Dockerfile: CI's context is compose's.
    assert words[-1] == app["build"]


def test_workflow_checks_migrations_only_with_alembic(baked: Project) -> None:
    job = load(baked, GENERATED_WORKFLOW)["jobs"]["check"]
    drift = [step for step in job["steps"] if "alembic" in str(step.get("run", ""))]

    if not baked.combination.use_alembic:
        assert drift == []
        return
    assert len(drift) == 1
    lines = [line.strip() for line in drift[0]["run"].splitlines()]
    assert lines == ["uv run alembic upgrade head", "uv run alembic check"]
    # The Alembic environment reads DATABASE_URL from the settings: with their driver,
    # and on PostgreSQL a database of the job's service.
    url = drift[0]["env"]["DATABASE_URL"]
    assert urlsplit(url).scheme == urlsplit(settings_default(baked, "database_url")).scheme
    if baked.needs_server:
        service = job["services"]["postgres"]
        check_reaches(url, service, LOOPBACK, ports(service["ports"])[POSTGRES_PORT])


def test_workflow_tests_against_compose_s_postgres(baked: Project) -> None:
    job = load(baked, GENERATED_WORKFLOW)["jobs"]["check"]

    if not baked.needs_server:
        assert "services" not in job
        assert "TEST_DATABASE_URL" not in job.get("env", {})
        return
    service = job["services"]["postgres"]
    compose_postgres = load(baked, "compose.yaml")["services"]["postgres"]
    assert service["image"] == compose_postgres["image"]
    assert "--health-cmd pg_isready" in service["options"]
    # The tests create their database if it is missing: only the server must match.
    url = job["env"]["TEST_DATABASE_URL"]
    assert urlsplit(url).scheme == urlsplit(settings_default(baked, "database_url")).scheme
    check_reaches(url, service, LOOPBACK, ports(service["ports"])[POSTGRES_PORT], database=False)


def test_workflow_expressions_survive_rendering(baked: Project) -> None:
    """Every `${{ ... }}` in the template is protected by {% raw %} and reaches the project."""
    source = (TEMPLATE / "{{cookiecutter.project_slug}}" / GENERATED_WORKFLOW).read_text()
    rendered = (baked.path / GENERATED_WORKFLOW).read_text()

    outside_raw = re.sub(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", "", source, flags=re.S)
    assert "${{" not in outside_raw
    expressions = re.findall(r"\$\{\{.*?\}\}", source)
    assert re.findall(r"\$\{\{.*?\}\}", rendered) == expressions


# --- .env.example


def test_env_example_holds_the_settings_default_database_url(baked: Project) -> None:
    lines = (baked.path / ".env.example").read_text().splitlines()
    values = dict(line.split("=", 1) for line in lines if "=" in line and line[0] != "#")

    assert values["DATABASE_URL"] == settings_default(baked, "database_url")


# --- compose.yaml


def test_compose_app_is_built_here_and_health_checked(baked: Project) -> None:
    compose = load(baked, "compose.yaml")
    app = compose["services"]["app"]
    exposed = dockerfile_port(baked)

    assert app["build"] == "."
    assert (baked.path / "Dockerfile").is_file()
    # Compose publishes and health-checks the port the image serves.
    assert exposed in ports(app["ports"])
    (check,) = urls(" ".join(app["healthcheck"]["test"]))
    assert check.hostname in LOOPBACK
    assert check.port == exposed
    assert f"GET {check.path}" in routes(baked)
    settings_url = urlsplit(settings_default(baked, "database_url"))
    assert urlsplit(app["environment"]["DATABASE_URL"]).scheme == settings_url.scheme
    expected = {"app"}
    if baked.needs_server:
        expected.add("postgres")
    if baked.combination.use_alembic:
        expected.add("migrate")
    assert set(compose["services"]) == expected


def test_compose_app_reaches_its_database(baked: Project) -> None:
    compose = load(baked, "compose.yaml")
    services = compose["services"]
    app = services["app"]
    url = app["environment"]["DATABASE_URL"]

    if not baked.needs_server:
        assert "postgres" not in services
        # The database file lives in a named volume, where the image puts it too.
        path = Path(url.split(":///", 1)[1])
        volume, target = app["volumes"][0].split(":")[:2]
        assert volume in compose["volumes"]
        assert path.parent == Path(target)
        assert dockerfile_env(baked)["DATABASE_URL"] == url
        return
    postgres = services["postgres"]
    check_reaches(url, postgres, {"postgres"}, POSTGRES_PORT)
    assert urlsplit(url).path.lstrip("/") == postgres["environment"]["POSTGRES_DB"]
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    ready = shlex.split(postgres["healthcheck"]["test"][-1])
    assert ready[0] == "pg_isready"
    assert ready[ready.index("-d") + 1] == postgres["environment"]["POSTGRES_DB"]
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    # The same database the settings default to, wherever the server is.
    default = urlsplit(settings_default(baked, "database_url"))
    assert urlsplit(url).path == default.path


def test_compose_migrates_once_before_the_app(baked: Project) -> None:
    services = load(baked, "compose.yaml")["services"]
    app = services["app"]

    if not baked.combination.use_alembic:
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
    if baked.needs_server:
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


def runtime(baked: Project) -> dict[str, list[str]]:
    """The final stage's instructions' arguments, by instruction."""
    by_name: dict[str, list[str]] = {}
    for name, args in stages(baked.path / "Dockerfile")[-1]:
        by_name.setdefault(name, []).append(args)
    return by_name


def dockerfile_port(baked: Project) -> int:
    (exposed,) = runtime(baked)["EXPOSE"]
    return int(exposed.split("/")[0])


def dockerfile_env(baked: Project) -> dict[str, str]:
    words = [word for args in runtime(baked).get("ENV", []) for word in shlex.split(args)]
    return {key: value for key, _, value in (word.partition("=") for word in words)}


def served(cmd: str) -> list[str]:
    """The server's command line from an exec-form CMD, through `sh -c "exec ..."`."""
    argv = yaml.safe_load(cmd)
    assert isinstance(argv, list), "CMD in exec form, so that signals reach the server"
    if argv[:2] == ["sh", "-c"]:
        argv = shlex.split(argv[2])
        assert argv[0] == "exec", "the shell hands its process over to the server"
        argv = argv[1:]
    return argv


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_dockerfile_builds_with_uv_in_a_separate_stage(baked: Project) -> None:
    dockerfile = baked.path / "Dockerfile"
    froms = [args for name, args in instructions(dockerfile) if name == "FROM"]
    builder, final = stages(dockerfile)[0], stages(dockerfile)[-1]

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
    copies = [args for name, args in final if name == "COPY"]
    assert any(args.startswith("--from=builder") and ".venv" in args for args in copies)
    assert not any("astral-sh/uv" in args or " src" in args for args in copies)


def created(final: dict[str, list[str]], command: str) -> dict[str, list[str]]:
    """Each `groupadd` or `useradd` the final stage runs: {name: its words}."""
    found = {}
    for args in final.get("RUN", []):
        for part in args.split("&&"):
            words = shlex.split(part)
            if words and words[0] == command:
                found[words[-1]] = words
    return found


def test_dockerfile_runs_as_the_unprivileged_user_it_creates(baked: Project) -> None:
    final = runtime(baked)
    groups = {name: option(words, "--gid") for name, words in created(final, "groupadd").items()}
    ((name, useradd),) = created(final, "useradd").items()

    (user,) = final["USER"]
    uid, _, gid = user.partition(":")
    assert uid == option(useradd, "--uid")
    assert gid == groups.get(option(useradd, "--gid"), option(useradd, "--gid"))
    assert uid.isdigit() and int(uid) != 0  # numeric, so an orchestrator can verify it
    assert gid.isdigit() and int(gid) != 0
    if not baked.needs_server:
        # The user owns the folder the SQLite file is written to.
        folder = str(Path(dockerfile_env(baked)["DATABASE_URL"].split(":///", 1)[1]).parent)
        owners = [
            words[words.index("chown") + 1].split(":")[0]
            for args in final["RUN"]
            for words in map(shlex.split, args.split("&&"))
            if "chown" in words and folder in words
        ]
        assert owners and set(owners) <= {name, uid}


def test_dockerfile_serves_health_checks_and_exposes_one_port(baked: Project) -> None:
    final = runtime(baked)
    exposed = dockerfile_port(baked)
    (cmd,) = final["CMD"]
    argv = served(cmd)
    (healthcheck,) = final["HEALTHCHECK"]
    (check,) = urls(healthcheck)
    if argv[:2] == ["python", "-m"]:
        # `python -m <package>.serve`: uvicorn's own command, serving the module's APP.
        serve = baked.path / "src" / Path(*argv[2].split(".")).with_suffix(".py")
        (app,) = [
            ast.literal_eval(node.value)
            for node in ast.parse(serve.read_text()).body
            if isinstance(node, ast.Assign)
            and [getattr(target, "id", None) for target in node.targets] == ["APP"]
        ]
        argv = ["uvicorn", app, *argv[3:]]

    assert argv[0] == "uvicorn"
    module, _, attribute = argv[1].partition(":")
    main = baked.path / "src" / Path(*module.split(".")).with_suffix(".py")
    assert attribute in {
        target.id
        for node in ast.parse(main.read_text()).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert int(option(argv, "--port")) == exposed
    assert option(argv, "--host") == "0.0.0.0"  # reachable from outside the container
    assert "--no-access-log" in argv  # the app logs each request itself, with its id
    assert check.hostname in LOOPBACK
    assert check.port == exposed
    assert f"GET {check.path}" in routes(baked)
    assert "urllib" in healthcheck  # slim images have no curl
    # No shell: the server is PID 1 and gets the orchestrator's SIGTERM itself.
    assert yaml.safe_load(cmd)[0] != "sh"
    # The serve module counts the workers (workers.py, tested in the project): a number
    # here, or `nproc` (the host's CPUs, not the container's quota), would override it.
    assert "--workers" not in argv
    assert "WEB_CONCURRENCY" in (baked.path / "src" / baked.package / "workers.py").read_text()
    if baked.needs_server:
        # One worker per usable CPU, unless WEB_CONCURRENCY is set where the image runs.
        assert "WEB_CONCURRENCY" not in dockerfile_env(baked)
    else:
        # SQLite takes one writer: one worker, unless WEB_CONCURRENCY says otherwise.
        assert dockerfile_env(baked)["WEB_CONCURRENCY"] == "1"


def test_dockerfile_copies_migrations_only_with_alembic(baked: Project) -> None:
    copied = [
        shlex.split(args)[:-1] for args in runtime(baked)["COPY"] if not args.startswith("--from")
    ]
    sources = {source for sources in copied for source in sources}

    expected = {"alembic.ini", "migrations"} if baked.combination.use_alembic else set()
    assert sources == expected


def test_dockerfile_copies_only_what_exists_and_is_not_ignored(baked: Project) -> None:
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


def test_dockerignore_keeps_secrets_and_local_state_out(baked: Project) -> None:
    entries = (baked.path / ".dockerignore").read_text().splitlines()

    for entry in (".env", ".venv", ".git", "*.db", ".mypy_cache", ".pytest_cache"):
        assert entry in entries


# --- pre-commit


def test_pre_commit_runs_ruff_and_mypy(baked: Project) -> None:
    config = load(baked, ".pre-commit-config.yaml")
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
    service = job["services"]["postgres"]
    assert "--health-cmd pg_isready" in service["options"]
    # The template's tests connect to the database TEST_DATABASE_URL names, on the service.
    url = job["env"]["TEST_DATABASE_URL"]
    assert urlsplit(url).scheme == "postgresql+asyncpg"
    check_reaches(url, service, LOOPBACK, ports(service["ports"])[POSTGRES_PORT])
    # The PostgreSQL the generated projects run on.
    generated = TEMPLATE / "{{cookiecutter.project_slug}}"
    for source in (generated / "compose.yaml", generated / GENERATED_WORKFLOW):
        assert f"image: {service['image']}\n" in source.read_text()
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


def test_workflow_and_compose_match_their_schemas(baked: Project) -> None:
    check = tool("check-jsonschema")

    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        passes(check, "--builtin-schema", schema, baked.path / GENERATED_WORKFLOW)
    passes(check, "--builtin-schema", "vendor.compose-spec", baked.path / "compose.yaml")


def test_template_workflow_matches_its_schema() -> None:
    check = tool("check-jsonschema")

    workflow = TEMPLATE / ".github" / "workflows" / "ci.yml"
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        passes(check, "--builtin-schema", schema, workflow)


def test_dockerfile_passes_hadolint(baked: Project) -> None:
    passes(tool("hadolint"), "--no-color", baked.path / "Dockerfile")
