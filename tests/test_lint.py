"""The template's own Python (hooks, tests, benchmarks) passes ruff, as CI requires."""

import subprocess
import sys
from pathlib import Path

import pytest

from .baking import TEMPLATE

RUFF = (sys.executable, "-m", "ruff")


def ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RUFF, *args], cwd=TEMPLATE, capture_output=True, text=True, check=False)


def test_ruff_at_the_top_level_covers_hooks_tests_and_benchmarks() -> None:
    result = ruff("check", "--show-files", ".")

    assert result.returncode == 0, result.stdout + result.stderr
    shown = {Path(line).resolve() for line in result.stdout.splitlines() if line.strip()}
    ours = {
        p for folder in ("hooks", "tests", "benchmarks") for p in (TEMPLATE / folder).glob("*.py")
    }
    assert sorted(ours - shown) == []
    assert not [p for p in shown if "{{cookiecutter.project_slug}}" in str(p)]


@pytest.mark.parametrize("command", [("check",), ("format", "--check")], ids=" ".join)
def test_ruff_passes(command: tuple[str, ...]) -> None:
    result = ruff(*command, ".")

    assert result.returncode == 0, result.stdout + result.stderr
