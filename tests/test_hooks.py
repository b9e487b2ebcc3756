"""Bad answers are refused with one clear line; awkward but valid ones render inertly."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from .baking import TEMPLATE


def cookiecutter(output: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    """Run the cookiecutter CLI as a user would, with an empty user config."""
    config = output / "config.yaml"
    config.write_text(f"cookiecutters_dir: {output / 'cc'}\nreplay_dir: {output / 'replay'}\n")
    return subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "--config-file", str(config),
         "-o", str(output / "out"), str(TEMPLATE), *answers],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


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
        (["package_name=" + "a" * 41], "at most 40 characters"),
        (["project_name= "], "project_name is empty"),
        (['project_name=Say "hi"'], "project_name 'Say \"hi\"' may not contain double quotes"),
        (["description=back\\slash"], "may not contain double quotes, backslashes"),
        (["description=two\nlines"], "may not contain double quotes, backslashes or control"),
        (["author_email=nobody"], "author_email 'nobody' is not an email address"),
        (["database=mysql"], "mysql"),
        (["use_alembic=maybe"], "maybe"),
    ],
)
def test_bad_answers_are_refused_and_leave_nothing(
    tmp_path: Path, answers: list[str], message: str
) -> None:
    result = cookiecutter(tmp_path, *answers)

    assert result.returncode != 0
    assert message in result.stderr
    out = tmp_path / "out"
    assert not out.exists() or not any(out.iterdir())


def test_each_problem_is_one_line(tmp_path: Path) -> None:
    result = cookiecutter(tmp_path, "package_name=class", "author_email=nobody")

    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert errors == [
        "ERROR: package_name 'class' must be a lowercase Python identifier (letters, digits, "
        "'_', starting with a letter), not a keyword, at most 40 characters",
        "ERROR: author_email 'nobody' is not an email address",
    ]


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
    assert (project / "src" / "cafe_o_brien_s_service_home_id" / "main.py").exists()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["authors"][0]["name"] == "Zoë D'Arcy"
    assert pyproject["project"]["description"].startswith("It's 100% async; ünïcode")
    for path in project.rglob("*"):
        if path.suffix == ".py":
            ast.parse(path.read_text(), filename=str(path))
        elif path.suffix in {".yml", ".yaml"}:
            yaml.safe_load(path.read_text())
    main = (project / "src" / "cafe_o_brien_s_service_home_id" / "main.py").read_text()
    assert f'title="{name}"' in main
