"""What both benchmark commands share: baking, environments and the PostgreSQL URL.

Standard library only: the commands run in the template's own environment, and
everything else is installed into temporary venvs with uv.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
TEMPLATE = BENCH_DIR.parent
# The server and a database to connect to for CREATE/DROP DATABASE.
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres"
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without its venv, so that uv uses the project's own."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update(extra)
    return env


def run(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command; on failure, raise with everything it printed."""
    result = subprocess.run(
        args, cwd=cwd, env=env or clean_env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def bake(output_dir: Path, database: str, use_alembic: bool) -> Path:
    """Bake the template's working tree with default answers; return the project folder."""
    output_dir.mkdir(parents=True, exist_ok=True)
    run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "--default-config",
            "-o",
            str(output_dir),
            str(TEMPLATE),
            f"database={database}",
            f"use_alembic={'yes' if use_alembic else 'no'}",
        ]
    )
    return output_dir / "my-service"


def database_url(name: str) -> str:
    """POSTGRES_URL pointing at database `name` instead."""
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{name}"


def template_revision() -> str:
    """The template's commit, with `+dirty` when the working tree has changes."""
    try:
        head = run(["git", "rev-parse", "--short", "HEAD"], cwd=TEMPLATE).strip()
        dirty = run(["git", "status", "--porcelain"], cwd=TEMPLATE).strip()
    except (RuntimeError, OSError):
        return "unknown"
    return head + ("+dirty" if dirty else "")
