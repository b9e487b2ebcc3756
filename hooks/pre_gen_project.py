"""Reject answers that would generate a broken project, with one clear line each.

This file is valid Python before Jinja renders it: tests import it from its path and
call `problems()` with a dict of answers.
"""

# Runs on Python 3.9 too (annotations not evaluated, no stdlib_module_names needed), so
# that an old Cookiecutter there still gets the one-line refusal below.
from __future__ import annotations

import json
import keyword
import re
import sys
from email.headerregistry import Address
from importlib.metadata import PackageNotFoundError, version

# Each answer arrives as JSON inside a raw string literal of its own. Jinja's `tojson`
# writes pure ASCII and escapes ' as \u0027, so the JSON never holds the ''' that would
# end the literal, and a raw literal keeps its backslashes (\\, \", \n, \uXXXX) for
# json.loads. "fmt: off": the formatter would turn ''' into """, which the JSON can end.
# fmt: off
RENDERED = {
    "project_name": r'''{{ cookiecutter.project_name | tojson }}''',
    "project_slug": r'''{{ cookiecutter.project_slug | tojson }}''',
    "package_name": r'''{{ cookiecutter.package_name | tojson }}''',
    "description": r'''{{ cookiecutter.description | tojson }}''',
    "author_name": r'''{{ cookiecutter.author_name | tojson }}''',
    "author_email": r'''{{ cookiecutter.author_email | tojson }}''',
}
# fmt: on

# {% raw %} (the rest is plain Python; the markers below must reach it unrendered)
# Booleans given on the command line (use_alembic=yes) became booleans in 2.7.0.
MINIMUM_COOKIECUTTER = (2, 7)
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z][a-z0-9_]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Names a generated package may not take: it would shadow a module the project or its
# tests import. Every top-level module that `uv sync` installs in a generated project
# (either database, with and without Alembic or OpenTelemetry) is here:
# tests/test_hooks.py fails when one is missing. colorama comes with uvicorn on Windows
# only, sniffio with older anyio.
INSTALLED = {
    "aiosqlite", "alembic", "annotated_doc", "annotated_types", "anyio",
    "ast_serialize", "asyncpg", "certifi", "charset_normalizer", "click", "colorama",
    "dns", "dotenv", "email_validator", "fastapi", "google", "greenlet", "h11",
    "httpcore", "httptools", "httpx", "idna", "iniconfig", "librt", "mako",
    "markupsafe", "mypy", "mypy_extensions", "mypyc", "opentelemetry", "packaging",
    "pathspec", "pluggy", "prometheus_client", "py", "pydantic", "pydantic_core",
    "pydantic_settings", "pygments", "pytest", "pytest_asyncio", "requests", "ruff",
    "sniffio", "sqlalchemy", "starlette", "typing_extensions", "typing_inspection",
    "urllib3", "uvicorn", "uvloop", "watchfiles", "websockets", "wrapt", "yaml",
}  # fmt: skip
# The project's own folders, and standard modules of Python 3.11 (the oldest the project
# supports) that later versions removed, so that sys.stdlib_module_names lacks them.
OWN = {"migrations", "src", "test", "tests"}
REMOVED_FROM_STDLIB = {
    "aifc", "asynchat", "asyncore", "audioop", "cgi", "cgitb", "chunk", "crypt",
    "distutils", "imghdr", "imp", "lib2to3", "mailcap", "msilib", "nis", "nntplib",
    "ossaudiodev", "pipes", "smtpd", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",
}  # fmt: skip
TAKEN = INSTALLED | OWN | REMOVED_FROM_STDLIB | set(getattr(sys, "stdlib_module_names", ()))
MAX_NAME = 40  # PostgreSQL names stop at 63 bytes, and tests add "_test".


def rendered_answers() -> dict[str, str]:
    """The rendered answers (only after Jinja has rendered this file)."""
    return {key: json.loads(value) for key, value in RENDERED.items()}


def cookiecutter_problem(installed: str | None) -> str | None:
    """Why this Cookiecutter version cannot generate the project, if it cannot."""
    if installed is None:  # not installed as a distribution: nothing to compare
        return None
    parts = tuple(int(part) for part in re.findall(r"\d+", installed)[:2])
    if parts >= MINIMUM_COOKIECUTTER:
        return None
    wanted = ".".join(map(str, MINIMUM_COOKIECUTTER))
    return (
        f"this template needs Cookiecutter {wanted} or newer, not {installed}: "
        f"upgrade it (pip install 'cookiecutter>={wanted}') or use `uvx cookiecutter`"
    )


def email_problem(name: str, email: str) -> str | None:
    """Why the build backend would refuse this email in `project.authors`, if it would."""
    if not EMAIL.fullmatch(email):
        return f"author_email {email!r} is not an email address"
    try:
        # What hatchling does with `authors` when it writes the package metadata.
        str(Address(display_name=name, addr_spec=email))
    except Exception as exc:  # whatever this raises, the build would fail with it
        text = str(exc).strip()
        reason = text.splitlines()[0] if text else type(exc).__name__
        return (
            f"author_email {email!r} is not an email address the package metadata accepts "
            f"({reason})"
        )
    return None


def problems(answers: dict[str, str]) -> list[str]:
    """Every reason these answers would generate a broken project, one line each."""
    found = []
    for key in ("project_name", "description", "author_name", "author_email"):
        value = str(answers[key])
        if not value.strip():
            found.append(f"{key} is empty")
        elif any(ch in value for ch in '"\\') or not value.isprintable():
            found.append(
                f"{key} {value!r} may not contain double quotes, backslashes or control characters"
            )
        elif any(mark in value for mark in ("{{", "}}", "{%", "%}", "{#", "#}")):
            found.append(f"{key} {value!r} may not contain template markup")
    slug = str(answers["project_slug"])
    if not SLUG.fullmatch(slug) or len(slug) > MAX_NAME:
        found.append(
            f"project_slug {slug!r} must be lowercase ASCII words joined by '-', start with a "
            f"letter and be at most {MAX_NAME} characters"
        )
    package = str(answers["package_name"])
    if not PACKAGE.fullmatch(package) or keyword.iskeyword(package) or len(package) > MAX_NAME:
        found.append(
            f"package_name {package!r} must be a lowercase Python identifier (letters, digits, "
            f"'_', starting with a letter), not a keyword, at most {MAX_NAME} characters"
        )
    elif package in TAKEN:
        found.append(
            f"package_name {package!r} would shadow the module of that name; choose another"
        )
    if not any(problem.startswith("author_") for problem in found):
        problem = email_problem(str(answers["author_name"]), str(answers["author_email"]))
        if problem:
            found.append(problem)
    return found


def installed_cookiecutter() -> str | None:
    try:
        return version("cookiecutter")
    except PackageNotFoundError:
        return None


def main() -> int:
    # Checked first: an older Cookiecutter hands the answers over differently.
    too_old = cookiecutter_problem(installed_cookiecutter())
    found = [too_old] if too_old else problems(rendered_answers())
    for problem in found:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
# {% endraw %}
