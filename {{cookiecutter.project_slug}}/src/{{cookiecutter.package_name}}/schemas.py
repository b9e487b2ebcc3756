"""Request and response bodies, validated by Pydantic."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

Name = Annotated[str, Field(min_length=1, max_length=100)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=10_000)]


class Input(BaseModel):
    """A request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Patch(Input):
    """A partial update: fields left out stay as they are; none may be set to null."""

    @model_validator(mode="after")
    def reject_nulls(self) -> Self:
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"may not be null: {', '.join(nulls)}")
        return self


class Output(BaseModel):
    """A response body, validated from a row: a mapping read, or an entity a write returned."""

    model_config = ConfigDict(from_attributes=True)


class UserCreate(Input):
    email: EmailStr
    name: Name


class UserUpdate(Patch):
    email: EmailStr | None = None
    name: Name | None = None


class ItemCreate(Input):
    title: Title
    description: Description = ""


class ItemUpdate(Patch):
    title: Title | None = None
    description: Description | None = None


class ItemRead(Output):
    id: int
    owner_id: int
    title: str
    description: str
    created_at: datetime
    updated_at: datetime


class UserRead(Output):
    id: int
    email: str
    name: str
    created_at: datetime
    updated_at: datetime


class UserWithItems(UserRead):
    items: list[ItemRead]
