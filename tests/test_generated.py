"""Each combination passes its own lint, type check and test suite, as rendered."""

from collections.abc import Callable

import pytest

from .baking import Combination, Project, each_combination


@pytest.mark.parametrize("combination", each_combination())
def test_ruff(project: Callable[[Combination], Project], combination: Combination) -> None:
    baked = project(combination)
    baked.uv("ruff", "check", ".")
    baked.uv("ruff", "format", "--check", ".")


@pytest.mark.parametrize("combination", each_combination())
def test_mypy_strict(project: Callable[[Combination], Project], combination: Combination) -> None:
    project(combination).uv("mypy")


@pytest.mark.parametrize("combination", each_combination())
def test_generated_test_suite_passes(
    project: Callable[[Combination], Project],
    combination: Combination,
    request: pytest.FixtureRequest,
) -> None:
    if combination.database == "postgresql":
        request.getfixturevalue("postgres")
    result = project(combination).uv("pytest", "-q", "-p", "no:cacheprovider")
    assert " passed" in result.stdout
    assert "skipped" not in result.stdout
