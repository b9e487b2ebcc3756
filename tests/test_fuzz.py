"""Schemathesis over real HTTP against each combination's app under uvicorn: every answer
to generated input, valid or not, is the success, a documented 4xx, or 503 (never a 500),
and matches the OpenAPI document in status, headers and body."""

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from .baking import Project
from .serving import serving

MAX_EXAMPLES = 40  # per operation and phase: about 10 s a combination on 2 cores
SEED = 20261129  # the same cases every run; a failure names the seed to replay it
RUN_WITHIN = 150  # seconds, a bound on the whole schemathesis run
METHODS = {"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"}

# Routes with a text body validate more than JSON Schema can say, by design: an email
# must pass email-validator (which refuses reserved domains such as `.test`), text is
# stripped of surrounding whitespace before its length is checked, and NUL or a lone
# surrogate is refused (PostgreSQL cannot store them). Schema-valid bodies may thus get
# a 422, so "valid data is accepted" is off for these operations only; every other check,
# not_a_server_error first, still runs on them. Every check is turned on here rather than
# with `--checks all`, which would override the operations' setting.
CONFIG = """
[checks]
enabled = true

[[operations]]
include-name = ["POST /users", "PATCH /users/{user_id}", "POST /users/{user_id}/items",
                "PATCH /items/{item_id}"]
checks.positive_data_acceptance.enabled = false
"""


def test_schemathesis_finds_nothing(
    baked: Project, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if baked.needs_server:
        request.getfixturevalue("postgres")
        name = baked.database_name("fuzz")  # dropped with the run's at the session's end
        assert baked.admin("create", name) == [name]
        database_url = baked.databases.url(name)
    else:
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"
    if baked.combination.use_alembic:
        baked.uv("alembic", "upgrade", "head", env={"DATABASE_URL": database_url})
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    report = tmp_path / "report.json"

    with serving(baked, database_url, tmp_path / "server.log") as server:
        # The template's own schemathesis, next to the interpreter running these tests.
        st = str(Path(sys.executable).with_name("st"))
        command = [st, "--config-file", str(config), "run", f"{server.url}/openapi.json"]
        command += ["--max-examples", str(MAX_EXAMPLES), "--workers", "1"]
        command += ["--seed", str(SEED), "--request-timeout", "10", "--no-color"]
        command += ["--generation-database", "none", "--report", "json"]
        command += ["--report-json-path", str(report)]
        result = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=RUN_WITHIN, check=False
        )
        refused = methods_refused(server.url)
        server_log = server.log_text()

    summary = json.loads(report.read_text()) if report.exists() else {}
    operations, cases = summary.get("operations", {}), summary.get("test_cases", {})
    print(
        f"\n{baked.combination.id}: {operations.get('tested')} operations tested of "
        f"{operations.get('total')}, {cases.get('generated')} cases, "
        f"{cases.get('unique_failures')} failures, {len(summary.get('errors', []))} errors, "
        f"{summary.get('running_time', 0):.1f}s"
    )
    assert result.returncode == 0, f"{result.stdout[-12000:]}\n{result.stderr[-3000:]}"
    assert summary["complete"] and summary["operations"]["errored"] == 0
    assert summary["operations"]["tested"] == summary["operations"]["total"]
    assert cases["unique_failures"] == 0 and not summary["errors"]
    assert not refused, refused
    assert "Traceback" not in server_log and "unhandled error" not in server_log, server_log


def methods_refused(url: str) -> dict[str, tuple[int, str]]:
    """The paths whose 405 does not allow exactly the documented methods (HEAD may be
    added). Schemathesis' Allow check passes an empty Allow, which the service once sent."""
    document = httpx.get(f"{url}/openapi.json", timeout=10).json()
    wrong = {}
    for path, operations in document["paths"].items():
        documented = {method.upper() for method in operations} & METHODS
        response = httpx.options(url + re.sub(r"\{\w+\}", "1", path), timeout=10)
        allowed = {method.strip() for method in response.headers.get("allow", "").split(",")}
        if response.status_code != 405 or allowed - {"HEAD"} != documented:
            wrong[path] = (response.status_code, response.headers.get("allow", ""))
    return wrong
