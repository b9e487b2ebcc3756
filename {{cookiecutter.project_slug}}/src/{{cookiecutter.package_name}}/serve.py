"""`python -m {{ cookiecutter.package_name }}.serve [uvicorn's options]`: uvicorn serving the
application, with two things its own command cannot do before the workers start.

- Its log lines (uvicorn's parent process writes some before any worker imports the
  application) take the project's format, LOG_FORMAT.
- The workers' metrics go to one directory, PROMETHEUS_MULTIPROC_DIR, emptied here,
  once, by the parent: values a previous run left would be added to this run's. Without
  the variable, a temporary directory is made, and removed at exit.
"""

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from uvicorn.main import main as uvicorn_command

from .config import settings
from .logs import server_logging

APP = "{{ cookiecutter.package_name }}.main:app"
METRICS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def metrics_directory() -> Iterator[Path]:
    """An empty directory for the workers' metrics, named in the environment they inherit."""
    given = os.environ.get(METRICS_DIRECTORY)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="{{ cookiecutter.package_name }}-metrics-"))
    os.environ[METRICS_DIRECTORY] = str(path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def serve(**options: Any) -> None:
    """uvicorn's own command, given this project's logging unless --log-config says otherwise."""
    options["log_config"] = options["log_config"] or server_logging(
        settings.log_level, settings.log_format
    )
    assert uvicorn_command.callback is not None  # noqa: S101 (a click command has one)
    with metrics_directory():
        uvicorn_command.callback(**options)


# uvicorn's options, their UVICORN_* variables and WEB_CONCURRENCY included.
command = click.Command(
    "serve",
    params=uvicorn_command.params,
    callback=serve,
    context_settings=uvicorn_command.context_settings,
    help=__doc__,
)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    command.main([APP, *args], prog_name=f"python -m {__name__}")


if __name__ == "__main__":
    main()
