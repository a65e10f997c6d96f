"""Typed settings of app-api, read from ``APP_API_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["AppApiSettings", "Environment", "get_settings"]

Environment = Literal["development", "test", "staging", "production"]


class AppApiSettings(BaseSettings):
    """Settings of one app-api process. Table and bucket names default to the local stack's."""

    model_config = SettingsConfigDict(env_prefix="APP_API_", extra="ignore", frozen=True)

    # Production unless told otherwise: every development convenience fails closed.
    environment: Environment = "production"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True

    # Authentication (see apis.shared.auth.AuthConfig): verify tokens against the issuer's JWKS.
    auth_mode: Literal["verify", "trusted", "disabled"] = "verify"
    auth_issuer: str = ""
    auth_audiences: list[str] = Field(default_factory=list)
    auth_jwks_url: str = ""
    auth_allowed_roles: list[str] = Field(default_factory=list)
    admin_jwt_roles: list[str] = Field(default_factory=lambda: ["DotNetDevelopers"])

    # AWS: the endpoint is set only for the embedded local endpoint; real AWS uses the default chain.
    aws_region: str = "us-east-1"
    aws_endpoint_url: str | None = None
    users_table: str = "users"
    app_roles_table: str = "app-roles"
    managed_models_table: str = "managed-models"
    sessions_table: str = "sessions-metadata"
    user_files_table: str = "user-files"
    user_files_bucket: str = "user-files"

    @property
    def expose_internal_errors(self) -> bool:
        """Internal error text reaches clients in development only."""
        return self.environment == "development"


@lru_cache
def get_settings() -> AppApiSettings:
    """Return the process's settings, read once."""
    return AppApiSettings()
