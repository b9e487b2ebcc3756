"""Reject answers that would generate a broken project, with one clear line each."""

import json
import keyword
import re
import sys

# Answers arrive as JSON string literals, never pasted into Python source.
ANSWERS = json.loads(
    {{ {
        "project_name": cookiecutter.project_name,
        "project_slug": cookiecutter.project_slug,
        "package_name": cookiecutter.package_name,
        "description": cookiecutter.description,
        "author_name": cookiecutter.author_name,
        "author_email": cookiecutter.author_email,
        "database": cookiecutter.database,
        "use_alembic": cookiecutter.use_alembic,
    } | tojson | tojson }}
)

# {% raw %} (the rest is plain Python; the markers below must reach it unrendered)
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z][a-z0-9_]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Names a generated package may not take: it would shadow what the project imports.
TAKEN = {
    "alembic", "aiosqlite", "asyncpg", "email_validator", "fastapi", "httpx", "migrations",
    "mypy", "pydantic", "pydantic_settings", "pytest", "ruff", "sqlalchemy", "src",
    "starlette", "test", "tests", "uvicorn",
} | set(sys.stdlib_module_names)
MAX_NAME = 40  # PostgreSQL names stop at 63 bytes, and tests add "_test".


def problems(answers: dict[str, object]) -> list[str]:
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
    email = str(answers["author_email"])
    if email.strip() and not EMAIL.fullmatch(email):
        found.append(f"author_email {email!r} is not an email address")
    if answers["database"] not in ("sqlite", "postgresql"):
        found.append(f"database {answers['database']!r} must be 'sqlite' or 'postgresql'")
    if not isinstance(answers["use_alembic"], bool):
        found.append(f"use_alembic {answers['use_alembic']!r} must be yes or no")
    return found


def main() -> int:
    found = problems(ANSWERS)
    for problem in found:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
# {% endraw %}
