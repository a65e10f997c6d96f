"""Typed settings of inference-api, read from ``INFERENCE_API_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Environment", "InferenceApiSettings", "get_settings"]

Environment = Literal["development", "test", "staging", "production"]


class InferenceApiSettings(BaseSettings):
    """Settings of one inference-api process."""

    model_config = SettingsConfigDict(env_prefix="INFERENCE_API_", extra="ignore", frozen=True)

    # Production unless told otherwise: every development convenience fails closed.
    environment: Environment = "production"
    host: str = "127.0.0.1"
    # AgentCore Runtime sends traffic to port 8080 of the container.
    port: int = Field(default=8080, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True

    @property
    def expose_internal_errors(self) -> bool:
        """Internal error text reaches clients in development only."""
        return self.environment == "development"


@lru_cache
def get_settings() -> InferenceApiSettings:
    """Return the process's settings, read once."""
    return InferenceApiSettings()
