"""Health response model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["HealthPublic"]


class HealthPublic(BaseModel):
    """``GET /health``: the client contract's fields plus the pinned library version."""

    model_config = ConfigDict(populate_by_name=True)

    status: Literal["healthy"] = "healthy"
    service: str
    version: str
    apis_shared_version: str = Field(serialization_alias="apisSharedVersion")
