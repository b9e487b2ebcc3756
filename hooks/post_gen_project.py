"""Remove the files of options that were not chosen, so no trace of them remains.

What belongs to one database, to Alembic or to OpenTelemetry lives in files of its own;
the rest of the project refers to them in whole-line conditionals. This file is valid
Python before Jinja renders it (pre_gen_project.py says how the answers are injected).
"""

import json
import shutil
import sys
from pathlib import Path

# fmt: off
RENDERED = {
    "database": r'''{{ cookiecutter.database | tojson }}''',
    "use_alembic": r'''{{ cookiecutter.use_alembic | tojson }}''',
    "use_opentelemetry": r'''{{ cookiecutter.use_opentelemetry | tojson }}''',
}
# fmt: on

# Paths inside the generated project; src/*/ is the package's folder.
ONLY_WITH_ALEMBIC = [
    "alembic.ini",
    "migrations",
    "tests/test_migrations.py",
    "deploy/kubernetes/migrate.yaml",
]
ONLY_WITH_OPENTELEMETRY = ["src/*/tracing.py", "tests/test_tracing.py"]
# Per database: its engine set-up and error reading, its test fixtures, its own tests.
ONLY_WITH_DATABASE = {
    database: [
        f"src/*/{database}.py",
        f"tests/{database}.py",
        f"tests/test_{database}.py",
    ]
    for database in ("sqlite", "postgresql")
}
# Several replicas need a database server: SQLite serves one process on one machine.
ONLY_WITH_DATABASE["postgresql"].append("deploy")


def options() -> dict[str, object]:
    """The rendered answers (only after Jinja has rendered this file)."""
    return {key: json.loads(value) for key, value in RENDERED.items()}


def remove(relative: str) -> None:
    paths = list(Path.cwd().glob(relative))
    if not paths:
        sys.exit(f"ERROR: the template has no {relative}; update hooks/post_gen_project.py")
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def main() -> None:
    chosen = options()
    # Options' files first: a database's folders may hold some of them (deploy/).
    if not chosen["use_alembic"]:
        for relative in ONLY_WITH_ALEMBIC:
            remove(relative)
    if not chosen["use_opentelemetry"]:
        for relative in ONLY_WITH_OPENTELEMETRY:
            remove(relative)
    for database, files in ONLY_WITH_DATABASE.items():
        if database != chosen["database"]:
            for relative in files:
                remove(relative)


if __name__ == "__main__":
    main()
