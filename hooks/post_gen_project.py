"""Remove the files of options that were not chosen, so no trace of them remains.

Differences between the databases are small and live inside the files (Jinja
conditionals); only Alembic brings files of its own.
"""

import json
import shutil
import sys
from pathlib import Path

OPTIONS = json.loads(
    {{ {"use_alembic": cookiecutter.use_alembic} | tojson | tojson }}
)

ONLY_WITH_ALEMBIC = ["alembic.ini", "migrations", "tests/test_migrations.py"]


def remove(relative: str) -> None:
    path = Path.cwd() / relative
    if path.is_dir():
        shutil.rmtree(path)
    elif path.is_file():
        path.unlink()
    else:
        sys.exit(f"ERROR: the template has no {relative}; update hooks/post_gen_project.py")


def main() -> None:
    if not OPTIONS["use_alembic"]:
        for relative in ONLY_WITH_ALEMBIC:
            remove(relative)


if __name__ == "__main__":
    main()
