"""``tags``: the required tags' values."""

from __future__ import annotations

from enum import StrEnum

from pydantic import ConfigDict, Field, field_validator

from components.config.fields import Model, NonEmpty

REQUIRED_TAG_KEYS: tuple[str, ...] = (
    "owner",
    "cost-center",
    "environment",
    "jurisdiction",
    "data-classification",
)


class DataClassification(StrEnum):
    PERSONAL = "personal"
    PSEUDONYMIZED = "pseudonymized"
    AGGREGATE = "aggregate"
    INTERNAL = "internal"
    PUBLIC = "public"


class TagsConfig(Model):
    model_config = ConfigDict(
        frozen=True, extra="allow", alias_generator=None, populate_by_name=True
    )

    owner: NonEmpty
    cost_center: NonEmpty = Field(alias="cost-center")
    data_classification: DataClassification = Field(
        default=DataClassification.PERSONAL, alias="data-classification"
    )

    @field_validator("owner", "cost_center")
    @classmethod
    def _no_placeholder(cls, value: str) -> str:
        if value.upper() in {"TODO", "CHANGEME", "TBD"}:
            raise ValueError(f"{value!r} is a placeholder; set the real value")
        return value
