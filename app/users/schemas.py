"""Request and response models for users. Requests forbid unknown fields."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.validation import CleanText, IsoDate

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be an e-mail address like name@example.org")
    return value


# CleanText first: strip_whitespace would otherwise quietly drop a leading or trailing one.
Email = Annotated[
    str,
    CleanText,
    StringConstraints(strip_whitespace=True, max_length=254),
    AfterValidator(_email),
]
Name = Annotated[
    str, CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Phone = Annotated[
    str, CleanText, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{5,32}$")
]
Address = Annotated[
    str, CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    full_name: Name
    phone: Phone | None = None
    date_of_birth: IsoDate | None = None
    address: Address | None = None


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    full_name: Name | None = None
    phone: Phone | None = None
    date_of_birth: IsoDate | None = None
    address: Address | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        for required in ("email", "full_name"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be removed; erase the user instead")
        return self


class UserOut(BaseModel):
    id: int
    email: str | None = Field(description="null once erased")
    full_name: str | None
    phone: str | None
    date_of_birth: date | None
    address: str | None
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None = Field(description="set once the personal data was erased")
