"""Database tables, as SQLAlchemy ORM models."""

from datetime import UTC, datetime

{%- if cookiecutter.database == "postgresql" %}

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, func, text
{%- else %}

from sqlalchemy import (
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    func,
    text,
)
{%- endif %}
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .database import Base

__all__ = ["MAX_ID", "Base", "Item", "User"]


{%- if cookiecutter.database == "postgresql" %}
# Ids are 64-bit: a busy table outgrows 32 bits.
BigId = BigInteger()
{%- else %}
# Ids are 64-bit: SQLite numbers rows itself for a column declared INTEGER PRIMARY KEY,
# which holds 64 bits.
BigId = Integer()
{%- endif %}
# The largest id: the API refuses greater ones (422) before they reach the database.
MAX_ID = 2**63 - 1


def utc_now() -> datetime:
    return datetime.now(UTC)
{%- if cookiecutter.database == "postgresql" %}


# asyncpg reads a timestamptz as a UTC datetime, whatever the server's TimeZone setting,
# so no conversion per value is needed (one would cost about 5% of a page of 50 users).
Timestamp = DateTime(timezone=True)
{%- else %}


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored and returned in UTC, with its time zone.

    SQLite keeps no time zone, so without this its rows would come back naive.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = UTCDateTime()
{%- endif %}


class Timestamped:
    """Creation and last-update times, computed per row when it is written.

    The Python-side default means the value is known without a round trip after a
    flush; the server default covers rows written outside the application.
    """

    created_at: Mapped[datetime] = mapped_column(
        Timestamp, default=utc_now, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        Timestamp, default=utc_now, onupdate=utc_now, server_default=func.now()
    )


class User(Timestamped, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(100))

    # lazy="raise": an implicit load cannot run under asyncio (it would fail with
    # MissingGreenlet); this says which relationship was touched. The database deletes
    # a user's items.
    items: Mapped[list["Item"]] = relationship(
        back_populates="owner", order_by="Item.id", lazy="raise", passive_deletes=True
    )


# One user per email whatever its letter case; the email is kept as it was given.
Index("uq_users_email_lower", func.lower(User.email), unique=True)


class Item(Timestamped, Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))

    owner: Mapped[User] = relationship(back_populates="items", lazy="raise")
