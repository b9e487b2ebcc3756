"""Bad settings stop the service at start-up with one clear line that reveals no secret."""

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import Settings, load_settings

SECRET = "s3cret-Pa55word"  # noqa: S105


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "DATABASE_URL: not a valid SQLAlchemy URL"),
        (
            f"mysql+aiomysql://app:{SECRET}@db/app",
            "DATABASE_URL: must use the {{ 'postgresql+asyncpg' if cookiecutter.database == 'postgresql' else 'sqlite+aiosqlite' }} driver, not 'mysql+aiomysql'",
        ),
{%- if cookiecutter.database == "postgresql" %}
        (
            f"postgresql://app:{SECRET}@db/app",
            "DATABASE_URL: must use the postgresql+asyncpg driver, not 'postgresql'",
        ),
{%- else %}
        ("sqlite:///./app.db", "DATABASE_URL: must use the sqlite+aiosqlite driver, not 'sqlite'"),
{%- endif %}
    ],
)
def test_bad_database_url_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)

    with pytest.raises(SystemExit) as stopped:
        load_settings()

    assert str(stopped.value) == f"Invalid settings: {message}"
    assert SECRET not in str(stopped.value)


def test_every_bad_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_ECHO", "loud")
    monkeypatch.setenv("LOG_LEVEL", "CHATTY")

    with pytest.raises(SystemExit) as stopped:
        load_settings()

    assert "DATABASE_ECHO: " in str(stopped.value)
    assert "LOG_LEVEL: " in str(stopped.value)
    assert "\n" not in str(stopped.value)


def test_env_example_lists_every_setting() -> None:
    example = Path(__file__).resolve().parent.parent / ".env.example"
    names = {line.split("=", 1)[0] for line in example.read_text().splitlines() if "=" in line}

    assert names == {name.upper() for name in Settings.model_fields}


def test_env_example_holds_valid_values(monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).resolve().parent.parent / ".env.example"
    for line in example.read_text().splitlines():
        name, _, value = line.partition("=")
        if name:
            monkeypatch.setenv(name, value)

    load_settings()
