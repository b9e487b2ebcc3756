"""Request and response bodies, and the input types they and the routes share."""

import re
from datetime import datetime
from typing import Annotated, Self

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from .models import MAX_ID

# NUL and lone surrogates: not every database can store a NUL in text, and none can
# encode a lone surrogate as UTF-8. Refused whatever the database, so that the API stays
# the same if the project changes database.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: str) -> str:
    if UNSTORABLE.search(value):
        raise ValueError("must not contain NUL or unpaired surrogate characters")
    return value


Text = Annotated[str, AfterValidator(storable)]
Name = Annotated[Text, Field(min_length=1, max_length=100)]
Title = Annotated[Text, Field(min_length=1, max_length=200)]
Description = Annotated[Text, Field(max_length=10_000)]
Email = Annotated[EmailStr, AfterValidator(storable)]
# A row id in a path: anything outside the column's range is refused with 422.
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


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
    """A response body, validated from a row's mapping."""


class UserCreate(Input):
    email: Email
    name: Name


# SkipJsonSchema: a field may be left out, but the schema does not offer null for it.
class UserUpdate(Patch):
    email: Email | SkipJsonSchema[None] = None
    name: Name | SkipJsonSchema[None] = None


class ItemCreate(Input):
    title: Title
    description: Description = ""


class ItemUpdate(Patch):
    title: Title | SkipJsonSchema[None] = None
    description: Description | SkipJsonSchema[None] = None


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
