"""Typed settings of app-api, read from ``APP_API_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["AppApiSettings", "Environment", "get_settings"]

Environment = Literal["development", "test", "staging", "production"]


class AppApiSettings(BaseSettings):
    """Settings of one app-api process."""

    model_config = SettingsConfigDict(env_prefix="APP_API_", extra="ignore", frozen=True)

    # Production unless told otherwise: every development convenience fails closed.
    environment: Environment = "production"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True

    @property
    def expose_internal_errors(self) -> bool:
        """Internal error text reaches clients in development only."""
        return self.environment == "development"


@lru_cache
def get_settings() -> AppApiSettings:
    """Return the process's settings, read once."""
    return AppApiSettings()
