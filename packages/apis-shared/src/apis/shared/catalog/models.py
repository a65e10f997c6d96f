"""The model catalogue: the models administrators make available, with their prices and who may use them."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from apis.shared.money import Money
from apis.shared.schema import CamelModel, PartialUpdate

__all__ = [
    "ManagedModel",
    "ManagedModelCreate",
    "ManagedModelUpdate",
    "ManagedModelsListResponse",
    "ProviderKind",
]


class ProviderKind(StrEnum):
    """Who serves a catalogued model (the ``provider`` field)."""

    BEDROCK = "bedrock"
    OPENAI = "openai"
    GEMINI = "gemini"


class _ModelFields(CamelModel):
    model_id: str = Field(min_length=1, max_length=200)
    model_name: str = Field(min_length=1, max_length=200)
    provider: ProviderKind
    provider_name: str = Field(default="", max_length=100)
    input_modalities: list[str] = Field(min_length=1)
    output_modalities: list[str] = Field(min_length=1)
    response_streaming_supported: bool = True
    max_input_tokens: int = Field(ge=1)
    max_output_tokens: int = Field(ge=1)
    model_lifecycle: str | None = None
    allowed_app_roles: list[str] = Field(default_factory=list)
    # Deprecated: JWT roles that see the model without an AppRole grant.
    available_to_roles: list[str] = Field(default_factory=list)
    enabled: bool = True
    input_price_per_million_tokens: Money = Field(default=Decimal(0), ge=0)
    output_price_per_million_tokens: Money = Field(default=Decimal(0), ge=0)
    cache_write_price_per_million_tokens: Money | None = Field(default=None, ge=0)
    cache_read_price_per_million_tokens: Money | None = Field(default=None, ge=0)
    is_reasoning_model: bool = False
    knowledge_cutoff_date: str | None = None
    supports_caching: bool | None = None


class ManagedModelCreate(_ModelFields):
    """``POST /admin/managed-models`` body. ``supportsCaching`` left out means "Bedrock models cache"."""

    @model_validator(mode="after")
    def _default_caching(self) -> Self:
        if self.supports_caching is None:
            self.supports_caching = self.provider is ProviderKind.BEDROCK
        return self


class ManagedModelUpdate(PartialUpdate):
    """``PUT /admin/managed-models/{id}`` body: the fields sent change; null only clears an optional one."""

    nullable = frozenset(
        {
            "model_lifecycle",
            "cache_write_price_per_million_tokens",
            "cache_read_price_per_million_tokens",
            "knowledge_cutoff_date",
        }
    )

    model_id: str | None = Field(default=None, min_length=1, max_length=200)
    model_name: str | None = Field(default=None, min_length=1, max_length=200)
    provider: ProviderKind | None = None
    provider_name: str | None = None
    input_modalities: list[str] | None = Field(default=None, min_length=1)
    output_modalities: list[str] | None = Field(default=None, min_length=1)
    response_streaming_supported: bool | None = None
    max_input_tokens: int | None = Field(default=None, ge=1)
    max_output_tokens: int | None = Field(default=None, ge=1)
    model_lifecycle: str | None = None
    allowed_app_roles: list[str] | None = None
    available_to_roles: list[str] | None = None
    enabled: bool | None = None
    input_price_per_million_tokens: Money | None = Field(default=None, ge=0)
    output_price_per_million_tokens: Money | None = Field(default=None, ge=0)
    cache_write_price_per_million_tokens: Money | None = Field(default=None, ge=0)
    cache_read_price_per_million_tokens: Money | None = Field(default=None, ge=0)
    is_reasoning_model: bool | None = None
    knowledge_cutoff_date: str | None = None
    supports_caching: bool | None = None


class ManagedModel(_ModelFields):
    id: str
    supports_caching: bool = True
    created_at: str
    updated_at: str


class ManagedModelsListResponse(CamelModel):
    models: list[ManagedModel]
    total_count: int
