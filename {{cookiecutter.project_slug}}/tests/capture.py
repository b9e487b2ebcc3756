"""What the package logs during a test, as the JSON lines the image writes."""

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.logs import HANDLER, formatter, logger

JsonLogs = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def json_logs() -> Iterator[JsonLogs]:
    """Read back, as parsed objects, every line the package logged (DEBUG included)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    # The filters of the service's own handler (request id, and trace ids when traced).
    (configured,) = [h for h in logger.handlers if h.get_name() == HANDLER]
    for log_filter in configured.filters:
        handler.addFilter(log_filter)
    handler.setFormatter(formatter("json"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    def read() -> list[dict[str, Any]]:
        lines = stream.getvalue().splitlines()
        # One object per line, with nothing a terminal would take for a control code.
        assert all(line.isprintable() for line in lines), lines
        return [json.loads(line) for line in lines]

    try:
        yield read
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
