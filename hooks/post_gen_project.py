"""Remove the files of options that were not chosen, so no trace of them remains.

What belongs to one database or to Alembic lives in files of its own; the rest of the
project refers to them in whole-line conditionals.
"""

import json
import shutil
import sys
from pathlib import Path

OPTIONS = json.loads(
    {{ {
        "package_name": cookiecutter.package_name,
        "database": cookiecutter.database,
        "use_alembic": cookiecutter.use_alembic,
    } | tojson | tojson }}
)

ONLY_WITH_ALEMBIC = ["alembic.ini", "migrations", "tests/test_migrations.py"]
# Per database: its engine set-up and error reading, its test fixtures, its own tests.
ONLY_WITH_DATABASE = {
    database: [
        f"src/{OPTIONS['package_name']}/{database}.py",
        f"tests/{database}.py",
        f"tests/test_{database}.py",
    ]
    for database in ("sqlite", "postgresql")
}


def remove(relative: str) -> None:
    path = Path.cwd() / relative
    if path.is_dir():
        shutil.rmtree(path)
    elif path.is_file():
        path.unlink()
    else:
        sys.exit(f"ERROR: the template has no {relative}; update hooks/post_gen_project.py")


def main() -> None:
    for database, files in ONLY_WITH_DATABASE.items():
        if database != OPTIONS["database"]:
            for relative in files:
                remove(relative)
    if not OPTIONS["use_alembic"]:
        for relative in ONLY_WITH_ALEMBIC:
            remove(relative)


if __name__ == "__main__":
    main()
