"""The hooks as Python modules: importable before rendering, safe to render, and checks
that refuse exactly what would break a generated project."""

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cookiecutter.environment import StrictEnvironment

from .baking import TEMPLATE

HOOKS = TEMPLATE / "hooks"
DEFAULTS = {
    "project_name": "My Service",
    "project_slug": "my-service",
    "package_name": "my_service",
    "description": "An async FastAPI + SQLAlchemy service.",
    "author_name": "Your Name",
    "author_email": "you@example.com",
}
# Answers that could break out of a string literal, or out of JSON, if injected naively.
NASTY = [
    "'''",
    "It'''s",
    "'",
    "\\",
    "ends with a backslash\\",
    "\\'''",
    "\\\\'''\\",
    '"""',
    '"',
    '\\"',
    "two\nlines\r\n",
    "nul \x00 tab \t",
    "line separator \u2028 paragraph \u2029",
    "\u00e9 \u2019 \u201c\u201d \u2013 \u2014 \u0421\u0435\u0440\u0430 \U0001f600",
    "</script> <&> ${HOME} `id`",
    "{{ cookiecutter.project_name }} {% raw %} {# #}",
    "\\u0027 \\n",
]


def load(path: Path, name: str) -> ModuleType:
    """Import a hook from its path, as a module of its own (never via sys.path)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render(hook: str, context: dict[str, Any], tmp_path: Path) -> Path:
    """Render a hook as Cookiecutter does (its Jinja environment), into a file."""
    env = StrictEnvironment(context={"cookiecutter": context}, keep_trailing_newline=True)
    source = (HOOKS / hook).read_text()
    rendered = tmp_path / hook
    rendered.write_text(env.from_string(source).render(cookiecutter=context))
    return rendered


@pytest.fixture(scope="module")
def pre() -> ModuleType:
    return load(HOOKS / "pre_gen_project.py", "pre_gen_project_unrendered")


def test_hooks_are_python_before_rendering(pre: ModuleType) -> None:
    post = load(HOOKS / "post_gen_project.py", "post_gen_project_unrendered")

    # Not rendered: the Jinja expressions are still there, inside plain string literals.
    assert pre.RENDERED["project_name"] == "{{ cookiecutter.project_name | tojson }}"
    assert post.RENDERED["use_alembic"] == "{{ cookiecutter.use_alembic | tojson }}"
    assert post.RENDERED["use_opentelemetry"] == "{{ cookiecutter.use_opentelemetry | tojson }}"
    assert pre.problems(DEFAULTS) == []


@pytest.mark.parametrize("value", NASTY)
def test_any_answer_reaches_the_pre_hook_unchanged(tmp_path: Path, value: str) -> None:
    context = {**DEFAULTS, "description": value, "author_name": value, "project_name": value}
    rendered = render("pre_gen_project.py", context, tmp_path)

    source = rendered.read_text()
    ast.parse(source)
    # tojson writes ASCII only and escapes ' as \u0027: nothing can close r'''...'''.
    for line in source.splitlines():
        if "r'''" in line:
            literal = line.split("r'''", 1)[1].rsplit("'''", 1)[0]
            assert "'" not in literal and literal.isascii()
    module = load(rendered, "pre_gen_project_rendered")
    assert module.rendered_answers() == context
    # The checks see the answer as typed: a " or \ in it is found, not lost on the way.
    if any(ch in value for ch in '"\\'):
        assert "may not contain double quotes" in module.problems(context)[0]


@pytest.mark.parametrize(("use_alembic", "use_opentelemetry"), [(True, False), (False, True)])
def test_post_hook_reads_the_answers(
    tmp_path: Path, use_alembic: bool, use_opentelemetry: bool
) -> None:
    context = {
        "database": "postgresql",
        "use_alembic": use_alembic,
        "use_opentelemetry": use_opentelemetry,
    }
    rendered = render("post_gen_project.py", context, tmp_path)

    module = load(rendered, "post_gen_project_rendered")
    assert module.options() == context


def test_each_option_s_files_exist_in_the_template() -> None:
    """The post-generation hook removes them when their option is not chosen."""
    post = load(HOOKS / "post_gen_project.py", "post_gen_project_lists")
    project = TEMPLATE / "{{cookiecutter.project_slug}}"
    lists = [
        post.ONLY_WITH_ALEMBIC,
        post.ONLY_WITH_OPENTELEMETRY,
        *post.ONLY_WITH_DATABASE.values(),
    ]
    for relative in (path for paths in lists for path in paths):
        found = list(project.glob(relative.replace("src/*/", "src/{{cookiecutter.package_name}}/")))
        assert found, relative


@pytest.mark.parametrize(
    ("installed", "refused"),
    [("2.6.0", True), ("2.1.1", True), ("1.7.3", True), ("2.7.0", False), ("2.7.1", False),
     ("2.10.0", False), ("3.0.0rc1", False), (None, False)],
)  # fmt: skip
def test_cookiecutter_version(pre: ModuleType, installed: str | None, refused: bool) -> None:
    problem = pre.cookiecutter_problem(installed)

    if refused:
        assert problem == (
            f"this template needs Cookiecutter 2.7 or newer, not {installed}: upgrade it "
            "(pip install 'cookiecutter>=2.7') or use `uvx cookiecutter`"
        )
    else:
        assert problem is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"project_slug": "My Service"}, "project_slug 'My Service' must be lowercase"),
        ({"project_slug": "a" * 41}, "at most 40 characters"),
        ({"package_name": "9_lives"}, "package_name '9_lives' must be a lowercase"),
        ({"package_name": "class"}, "package_name 'class' must be a lowercase"),
        ({"package_name": "_private"}, "package_name '_private' must be a lowercase"),
        # Each of these is a module the generated project installs or is made of.
        *(
            ({"package_name": name}, f"package_name {name!r} would shadow the module")
            for name in ["anyio", "uvloop", "pydantic_core", "sniffio", "h11", "idna",
                         "typing_extensions", "watchfiles", "websockets", "dotenv", "yaml",
                         "greenlet", "colorama", "tests", "migrations", "json", "asyncore"]
        ),
        ({"description": " "}, "description is empty"),
        ({"author_name": "a\tb"}, "may not contain double quotes, backslashes or control"),
        ({"project_name": "{{"}, "project_name '{{' may not contain template markup"),
        ({"author_email": "nobody"}, "author_email 'nobody' is not an email address"),
        ({"author_email": "a@b"}, "author_email 'a@b' is not an email address"),
        ({"author_email": "a b@x.org"}, "author_email 'a b@x.org' is not an email address"),
        ({"author_email": "a..b@x.org"}, "is not an email address the package metadata accepts"),
        ({"author_email": "\u00fc@x.org"}, "local-part contains non-ASCII characters"),
    ],
)  # fmt: skip
def test_problems(pre: ModuleType, changes: dict[str, str], message: str) -> None:
    found = pre.problems({**DEFAULTS, **changes})

    assert len(found) == 1
    assert message in found[0]
    assert "\n" not in found[0]


@pytest.mark.parametrize(
    "answers",
    [
        {"description": "It\u2019s \u201cquoted\u201d \u2013 \u2014 \u0421\u0435\u0440\u0430"},
        {"project_name": "Bob\u2019s \u201cGreat\u201d Service \u2013 a Long Name (I)"},
        {"author_name": "Zo\u00eb \u201cZ\u201d O\u2019Neil, Jr. <x> (y)"},
        {"author_email": "o'neil+tag@m\u00fcnchen.de"},
        {"package_name": "my_sniffio_service"},
    ],
)  # fmt: skip
def test_accepted(pre: ModuleType, answers: dict[str, str]) -> None:
    assert pre.problems({**DEFAULTS, **answers}) == []


# Found by running `uv sync` on projects with each: the build backend (hatchling) parses
# `project.authors` with Python's email parser and fails the build on the second list.
GOOD_EMAILS = [
    "you@example.com", "a@b.c", "a@b.co", "a+tag@x.org", "o'neil@x.org", "a@m\u00fcnchen.de",
    "a@x-.org", "a@x.o-rg", "a@x.123", "a@1.2.3.4", "a@[1.2.3.4]", "a@x_y.org",
    "a!#$%&*+/=?^_`{|}~@x.org", "a(b)@x.org",
]  # fmt: skip
BAD_EMAILS = [
    "a..b@x.org", ".a@x.org", "a.@x.org", "a@x.org.", "a@x..org", "\u00fcser@x.org",
    "a,b@x.org", "a<b@x.org", "a>b@x.org", "a;b@x.org", "a:b@x.org", "a[b]@x.org",
    "a@x.org(comment", "=?utf-8?q?a?=@x.org", "a@=?utf-8?q?x?=.org",
]  # fmt: skip
HATCHLING = """
import json, sys, tempfile
from hatchling.metadata.core import ProjectMetadata
verdicts = {}
for email in json.loads(sys.argv[1]):
    project = {"name": "x", "version": "0", "authors": [{"name": sys.argv[2], "email": email}]}
    try:
        ProjectMetadata(tempfile.gettempdir(), None, {"project": project}).core.authors_data
        verdicts[email] = True
    except Exception:
        verdicts[email] = False
print(json.dumps(verdicts))
"""


def test_the_hook_accepts_an_email_when_the_build_backend_does(pre: ModuleType) -> None:
    """The latest hatchling, which the generated pyproject.toml builds with, decides."""
    name = DEFAULTS["author_name"]
    emails = GOOD_EMAILS + BAD_EMAILS
    result = subprocess.run(
        ["uv", "run", "--no-project", "--quiet", "--with", "hatchling", "python", "-c",
         HATCHLING, json.dumps(emails), name],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    backend = json.loads(result.stdout)

    assert [email for email in emails if backend[email]] == GOOD_EMAILS
    assert [email for email in emails if pre.email_problem(name, email) is None] == GOOD_EMAILS


def test_stdlib_is_taken(pre: ModuleType) -> None:
    assert set(sys.stdlib_module_names) <= pre.TAKEN
    assert pre.OWN <= pre.TAKEN
    if sys.version_info[:2] == (3, 11):
        assert pre.REMOVED_FROM_STDLIB - sys.stdlib_module_names == set()
