"""The base of every API model: snake_case in Python, camelCase on the wire (the client contract's casing)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

__all__ = ["CamelModel", "OpenCamelModel", "PartialUpdate"]


class CamelModel(BaseModel):
    """Accepts both casings, serialises camelCase."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class OpenCamelModel(CamelModel):
    """A ``CamelModel`` that keeps unknown fields (clients and newer services may add some)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, extra="allow")


def _without_null(schema: dict[str, Any]) -> None:
    branches = schema.get("anyOf")
    if not isinstance(branches, list) or {"type": "null"} not in branches:
        return
    kept = [branch for branch in branches if branch != {"type": "null"}]
    del schema["anyOf"]
    if len(kept) == 1:
        schema.update(kept[0])
    else:
        schema["anyOf"] = kept
    if schema.get("default", ...) is None:
        del schema["default"]


def _partial_update_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    nullable: frozenset[str] = getattr(model, "nullable", frozenset())
    for name, field in model.model_fields.items():
        if name in nullable:
            continue
        prop = schema.get("properties", {}).get(field.alias or name)
        if isinstance(prop, dict):
            _without_null(prop)


class PartialUpdate(CamelModel):
    """The body of a PATCH (or a partial PUT): a field left out keeps its value.

    Declare every field ``X | None = None`` (None meaning "not sent"). An
    explicit JSON ``null`` is refused with a validation error naming the field,
    unless the field is in ``nullable`` (where null clears the value): a
    resource has no "no value" for its other fields, and a null let through
    would reach the domain model and fail there as a 500. The schema shows the
    fields as optional and, outside ``nullable``, not nullable.
    """

    model_config = ConfigDict(json_schema_extra=_partial_update_schema)
    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("may be left out but not null")
        return value
