"""Bad answers are refused with one clear line; every accepted one gives a working project."""

import ast
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from .baking import TEMPLATE, Combination, Databases, Project
from .test_hook_checks import load

PRE_GEN = load(TEMPLATE / "hooks" / "pre_gen_project.py", "pre_gen_project_for_cli_tests")


def cookiecutter(
    output: Path, *answers: str, command: tuple[str, ...] = (sys.executable, "-m", "cookiecutter")
) -> subprocess.CompletedProcess[str]:
    """Run the cookiecutter CLI as a user would, with an empty user config."""
    config = output / "config.yaml"
    config.write_text(f"cookiecutters_dir: {output / 'cc'}\nreplay_dir: {output / 'replay'}\n")
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    return subprocess.run(
        [*command, "--no-input", "--config-file", str(config),
         "-o", str(output / "out"), str(TEMPLATE), *answers],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip


def nothing_generated(output: Path) -> bool:
    out = output / "out"
    return not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (["project_slug=My Service"], "project_slug 'My Service' must be lowercase"),
        (["project_slug=9lives"], "project_slug '9lives' must be lowercase"),
        (["project_name=9 Lives"], "package_name '9_lives' must be a lowercase Python identifier"),
        (["package_name=my-service"], "package_name 'my-service' must be a lowercase"),
        (["package_name=class"], "package_name 'class' must be a lowercase"),
        (["package_name=fastapi"], "package_name 'fastapi' would shadow"),
        (["package_name=json"], "package_name 'json' would shadow"),
        (["package_name=sqlalchemy"], "package_name 'sqlalchemy' would shadow"),
        (["package_name=anyio"], "package_name 'anyio' would shadow"),
        (["package_name=" + "a" * 41], "at most 40 characters"),
        (["project_name= "], "project_name is empty"),
        (['project_name=Say "hi"'], "project_name 'Say \"hi\"' may not contain double quotes"),
        (["description=back\\slash"], "may not contain double quotes, backslashes"),
        (["description=two\nlines"], "may not contain double quotes, backslashes or control"),
        (["author_email=nobody"], "author_email 'nobody' is not an email address"),
        (["author_email=a..b@example.com"], "not an email address the package metadata accepts"),
        (["author_email=a@example.com."], "not an email address the package metadata accepts"),
    ],
)
def test_bad_answers_are_refused_and_leave_nothing(
    tmp_path: Path, answers: list[str], message: str
) -> None:
    result = cookiecutter(tmp_path, *answers)

    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert [line for line in errors if message in line], result.stderr
    assert nothing_generated(tmp_path)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            "database=mysql",
            "ValueError: mysql provided for choice variable database, but the choices are "
            "['sqlite', 'postgresql'].",
        ),
        (
            "use_alembic=maybe",
            "ValueError: maybe provided for variable use_alembic could not be converted to a "
            "boolean.",
        ),
    ],
)
def test_cookiecutter_itself_refuses_a_bad_choice(
    tmp_path: Path, answer: str, message: str
) -> None:
    """Checked before any hook runs: cookiecutter's traceback, which no hook can shorten."""
    result = cookiecutter(tmp_path, answer)

    assert result.returncode != 0
    assert result.stderr.rstrip().splitlines()[-1] == message
    assert "pre_gen_project" not in result.stderr + result.stdout  # the hook never ran
    assert nothing_generated(tmp_path)


def test_each_problem_is_one_line(tmp_path: Path) -> None:
    result = cookiecutter(tmp_path, "package_name=class", "author_email=nobody")

    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert errors == [
        "ERROR: package_name 'class' must be a lowercase Python identifier (letters, digits, "
        "'_', starting with a letter), not a keyword, at most 40 characters",
        "ERROR: author_email 'nobody' is not an email address",
    ]


def test_an_older_cookiecutter_is_refused_in_one_line(tmp_path: Path) -> None:
    """2.6 hands `use_alembic=yes` to the template as the string "yes"."""
    command = ("uvx", "--quiet", "--from", "cookiecutter==2.6.0", "cookiecutter")
    result = cookiecutter(tmp_path, "use_alembic=yes", command=command)

    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert errors == [
        "ERROR: this template needs Cookiecutter 2.7 or newer, not 2.6.0: upgrade it "
        "(pip install 'cookiecutter>=2.7') or use `uvx cookiecutter`"
    ]
    assert nothing_generated(tmp_path)


def title_of(main: Path) -> object:
    """The `title=` given to FastAPI(...) in main.py, as Python reads it."""
    for node in ast.walk(ast.parse(main.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "FastAPI":
            return next(ast.literal_eval(k.value) for k in node.keywords if k.arg == "title")
    raise AssertionError("no FastAPI(...) call")


def test_awkward_answers_render_inertly(tmp_path: Path) -> None:
    name = "Café O'Brien's {service} <&> ${HOME} `id`"
    result = cookiecutter(
        tmp_path,
        f"project_name={name}",
        "description=It's 100% async; ünïcode & 'quotes' $PATH",
        "author_name=Zoë D'Arcy",
        "database=postgresql",
        "use_alembic=yes",
    )

    assert result.returncode == 0, result.stderr
    project = tmp_path / "out" / "cafe-o-brien-s-service-home-id"
    package = project / "src" / "cafe_o_brien_s_service_home_id"
    assert (package / "main.py").exists()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["authors"][0]["name"] == "Zoë D'Arcy"
    assert pyproject["project"]["description"].startswith("It's 100% async; ünïcode")
    for path in project.rglob("*"):
        if path.suffix == ".py":
            ast.parse(path.read_text(), filename=str(path))
        elif path.suffix in {".yml", ".yaml"}:
            yaml.safe_load(path.read_text())
    assert title_of(package / "main.py") == name
    assert ast.get_docstring(ast.parse((package / "__init__.py").read_text())) == (
        "It's 100% async; ünïcode & 'quotes' $PATH"
    )


# Accepted answers that broke generated projects: typographic punctuation (ruff's
# RUF001/RUF002), a name too long for one line (ruff format), Cyrillic words made of
# letters that look Latin, ''' and an email with a + and a non-ASCII domain.
ACCEPTED = {
    "project_name": "Zo\u00eb\u2019s \u201cQuoted\u201d Service \u2013 a Long Name (IV)",
    "description": "  It\u2019s \u201cquoted\u201d \u2013 and \u2014 dashed; It'''s "
    "\u0421\u0435\u0440\u0430 \U0001f600 ",
    "author_name": "Zo\u00eb \u201cZ\u201d O\u2019Neil, Jr.",
    "author_email": "o'neil+tag@m\u00fcnchen.de",
}


def test_accepted_answers_give_a_project_that_passes_its_checks(
    tmp_path: Path, databases: Databases
) -> None:
    result = cookiecutter(tmp_path, *(f"{key}={value}" for key, value in ACCEPTED.items()))

    assert result.returncode == 0, result.stderr
    slug = "zoes-quoted-service-a-long-name-iv"
    project = Project(Combination("sqlite", False), tmp_path / "out" / slug, databases)
    project.uv("ruff", "check", ".")
    project.uv("ruff", "format", "--check", ".")
    project.uv("mypy")
    project.uv("pytest", "-q", "-p", "no:cacheprovider")
    package = slug.replace("-", "_")
    shown = project.uv(
        "python", "-c",
        f"import json, {package}, {package}.main as m; "
        f"print(json.dumps([{package}.__doc__, m.app.title]))",
    )  # fmt: skip
    assert json.loads(shown.stdout) == [
        ACCEPTED["description"].strip(),
        ACCEPTED["project_name"],
    ]
    authors = tomllib.loads((project.path / "pyproject.toml").read_text())["project"]["authors"]
    assert authors == [{"name": ACCEPTED["author_name"], "email": ACCEPTED["author_email"]}]


# Top-level modules installed only on other platforms than the one the tests run on.
OTHER_PLATFORMS = {"colorama"}  # uvicorn[standard], on Windows
LISTING = """
import json, os, pkgutil, sysconfig
from importlib.metadata import distributions
folders = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
modules = {m.name for m in pkgutil.iter_modules(sorted(folders))}
# Namespace packages (a folder without __init__.py) are importable too.
modules |= {e.name for f in folders for e in os.scandir(f) if e.is_dir() and e.name.isidentifier()}
print(json.dumps({
    "modules": sorted(modules),
    "distributions": sorted(d.metadata["Name"] for d in distributions()),
}))
"""


def normalize(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def test_the_hook_knows_every_module_a_project_installs(baked: Project) -> None:
    """Otherwise a package named like one (anyio, yaml, ...) shadows it and tests fail."""
    found = json.loads(baked.uv("python", "-c", LISTING).stdout)
    found = json.loads(baked.uv("python", "-c", LISTING).stdout)

    names = {m for m in found["modules"] if PRE_GEN.PACKAGE.fullmatch(m) and m != baked.package}
    assert sorted(names - PRE_GEN.TAKEN) == []
    # What the lock file installs elsewhere (uv.lock resolves for every platform).
    locked = {p["name"] for p in tomllib.loads((baked.path / "uv.lock").read_text())["package"]}
    installed = {normalize(d) for d in found["distributions"]} | {baked.path.name}
    assert sorted(locked - installed - OTHER_PLATFORMS) == []
    assert OTHER_PLATFORMS <= PRE_GEN.TAKEN
