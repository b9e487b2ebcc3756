"""Settings, read from the environment and from `.env` in the working directory."""

from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
{%- if cookiecutter.database == "postgresql" %}

DRIVER = "postgresql+asyncpg"
DEFAULT_URL = "postgresql+asyncpg://postgres:postgres@localhost:5432/{{ cookiecutter.package_name }}"
{%- else %}

DRIVER = "sqlite+aiosqlite"
DEFAULT_URL = "sqlite+aiosqlite:///./{{ cookiecutter.package_name }}.db"
{%- endif %}


class Settings(BaseSettings):
    """Every setting is an environment variable of the same name in upper case."""

    # Never echo a value back in a validation error: DATABASE_URL may hold a password.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    database_url: str = DEFAULT_URL
    database_echo: bool = False
    # Seconds a request waits for a pooled connection before it answers 503.
    database_pool_timeout: float = Field(default=5.0, gt=0)
{%- if cookiecutter.database == "postgresql" %}
    # A fixed pool: overflow connections are opened and closed under load, each with a
    # cold prepared-statement cache. Keep workers x pool size below max_connections.
    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=0, ge=0)
    # Time limits, in seconds: every wait on the database ends, and the request with it
    # (503). The statement limit is also enforced by the client, so a silent network cut
    # ends too.
    database_connect_timeout: float = Field(default=5.0, gt=0)
    database_statement_timeout: float = Field(default=10.0, gt=0)
    database_lock_timeout: float = Field(default=2.0, gt=0)
    # Off: on asyncpg a ping costs BEGIN, ping and ROLLBACK per checkout; a dropped
    # connection fails one request with 503 and SQLAlchemy then renews the pool.
    database_pool_pre_ping: bool = False
    # True when a pooler in transaction mode (PgBouncer's pool_mode = transaction) stands
    # between the service and PostgreSQL: see postgresql.py and the README.
    database_transaction_pooler: bool = False
{%- else %}
    # Seconds a write waits for SQLite's single write lock before it answers 503.
    database_busy_timeout: float = Field(default=5.0, gt=0)
{%- endif %}
    # Request bodies above this many bytes are refused with 413 before they are read.
    max_body_size: int = Field(default=1024 * 1024, ge=1)
    # On SIGTERM: readiness answers 503 at once, requests are still served for the drain
    # (while a balancer takes this process out), then in-flight requests get the grace
    # period to finish before they are cancelled.
    shutdown_drain_seconds: float = Field(default=0.0, ge=0)
    shutdown_grace_seconds: float = Field(default=20.0, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # "json": one object per line, for a log pipeline (the image's default); "text" to read.
    log_format: Literal["text", "json"] = "text"
    # Count requests and the pool's state, and serve them at GET /metrics for Prometheus.
    metrics_enabled: bool = True

    @field_validator("database_url")
    @classmethod
    def check_database_url(cls, value: str) -> str:
        """Fail at start-up, not at the first request, on a URL the engine cannot use."""
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("not a valid SQLAlchemy URL") from None
        if url.drivername != DRIVER:
            raise ValueError(f"must use the {DRIVER} driver, not {url.drivername!r}")
        return value


def load_settings() -> Settings:
    """Read the settings, or stop the process with one line naming each bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc'])).upper()}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        )
        raise SystemExit(f"Invalid settings: {problems}") from None


settings = load_settings()
