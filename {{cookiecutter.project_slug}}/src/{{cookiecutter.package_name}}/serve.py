"""`python -m {{ cookiecutter.package_name }}.serve [uvicorn's options]`: uvicorn serving the
application, with what its own command cannot do before the workers start.

- Its log lines (uvicorn's parent process writes some before any worker imports the
  application) take the project's format, LOG_FORMAT.
- The workers' metrics go to one directory, PROMETHEUS_MULTIPROC_DIR, emptied here,
  once, by the parent: values a previous run left would be added to this run's. Without
  the variable, a temporary directory is made, and removed at exit.
- Without --workers, the number of workers is WEB_CONCURRENCY or else the CPUs the
  container may use (workers.py), not the machine's; without --timeout-graceful-shutdown,
  in-flight requests get SHUTDOWN_GRACE_SECONDS after SIGTERM (shutdown.py).
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
from .workers import worker_count

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
    # Unless --workers says otherwise: WEB_CONCURRENCY, or what the container may use.
    options["workers"] = options["workers"] or worker_count()
    # In-flight requests' time to finish after SIGTERM (and the drain, see shutdown.py).
    if options["timeout_graceful_shutdown"] is None:
        options["timeout_graceful_shutdown"] = settings.shutdown_grace_seconds
    assert uvicorn_command.callback is not None  # noqa: S101 (a click command has one)
    with metrics_directory():
        uvicorn_command.callback(app=APP, **options)


# uvicorn's options, their UVICORN_* variables and WEB_CONCURRENCY included; the
# application is this one.
command = click.Command(
    "serve",
    params=[param for param in uvicorn_command.params if param.name != "app"],
    callback=serve,
    context_settings=uvicorn_command.context_settings,
    help=f"Serve {APP} with uvicorn (see serve.py).",
)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    command.main(args, prog_name="python -m {{ cookiecutter.package_name }}.serve")


if __name__ == "__main__":
    main()
