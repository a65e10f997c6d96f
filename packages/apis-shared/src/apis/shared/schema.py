"""The base of every API model: snake_case in Python, camelCase on the wire (the client contract's casing)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["CamelModel", "OpenCamelModel"]


class CamelModel(BaseModel):
    """Accepts both casings, serialises camelCase."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class OpenCamelModel(CamelModel):
    """A ``CamelModel`` that keeps unknown fields (clients and newer services may add some)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, extra="allow")
