"""Keyset pagination, the same for every list: `limit` and `after` in, a Page out.

A page is the rows whose key is greater than `after`, in key order: a deep page costs
the same as the first, where OFFSET would read and skip every earlier row.
"""

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Integer, bindparam
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql import Select

from .models import MAX_ID

T = TypeVar("T")
Row = TypeVar("Row", bound=Mapping[str, Any])


class PageParams(BaseModel):
    """The query parameters of every list route."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=100, description="Most rows on the page")
    after: int = Field(default=0, ge=0, le=MAX_ID, description="`next_cursor` of the previous page")

    def bind(self) -> dict[str, int]:
        """The values for a statement made by `keyset`: one row more than the page holds,
        whose presence says that more follow."""
        return {"after": self.after, "limit": self.limit + 1}


PageQuery = Annotated[PageParams, Query()]


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` as `after` to get the next one."""

    items: list[T]
    next_cursor: int | None


def keyset(statement: Select[Any], key: QueryableAttribute[int]) -> Select[Any]:
    """`statement` limited to one page after the cursor, ordered by `key`."""
    return (
        statement.where(key > bindparam("after"))
        .order_by(key)
        .limit(bindparam("limit", type_=Integer))
    )


def split_page(
    rows: Sequence[Row], params: PageParams, key: str = "id"
) -> tuple[Sequence[Row], int | None]:
    """The rows to show, and the cursor of the next page (None on the last page)."""
    shown = rows[: params.limit]
    return shown, shown[-1][key] if len(rows) > params.limit else None
