"""Remove what the chosen options do not use, so no trace of the other choices remains."""

import json
import shutil
import sys
from pathlib import Path

OPTIONS = json.loads(
    {{ {"database": cookiecutter.database, "use_alembic": cookiecutter.use_alembic} | tojson | tojson }}
)

# Paths, relative to the generated project, that belong to one choice only.
ONLY_WITH_ALEMBIC = ["alembic.ini", "migrations", "tests/test_migrations.py"]
ONLY_WITH_POSTGRESQL: list[str] = []


def remove(relative: str) -> None:
    path = Path.cwd() / relative
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    else:
        sys.exit(f"ERROR: the template has no {relative}; update hooks/post_gen_project.py")


def main() -> None:
    if not OPTIONS["use_alembic"]:
        for relative in ONLY_WITH_ALEMBIC:
            remove(relative)
    if OPTIONS["database"] != "postgresql":
        for relative in ONLY_WITH_POSTGRESQL:
            remove(relative)


if __name__ == "__main__":
    main()
