"""Typed settings of inference-api, read from ``INFERENCE_API_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from apis.shared.settings import ServiceSettings

__all__ = ["InferenceApiSettings", "get_settings"]


class InferenceApiSettings(ServiceSettings):
    """Settings of one inference-api process: the fields both services share (``ServiceSettings``) and its own.

    ``auth_mode`` "trusted" is accepted here (and only when set): for a runtime whose AgentCore JWT
    authorizer validates every token in front of it (issuer, audience and expiry are still checked;
    the signature is the authorizer's job).
    """

    model_config = SettingsConfigDict(env_prefix="INFERENCE_API_")

    # AgentCore Runtime sends traffic to port 8080 of the container.
    port: int = Field(default=8080, ge=1, le=65535)
    # Larger request bodies are refused with a 413: room for a 200k-character message and five
    # inline files of 4 MiB (base64) from API callers; the web client uploads files instead.
    max_request_body_bytes: int = Field(default=32 * 1024 * 1024, ge=0)

    # The client's "System Default" sends model_id null; this model answers it.
    default_model_id: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    max_history_messages: int = Field(default=100, ge=0, le=1000)
    quota_enforcement: bool = True
    # A turn's cost bound stays reserved against the quota until its cost is recorded, or
    # for this long when its process dies first.
    quota_reservation_seconds: int = Field(default=900, ge=60)
    # A turn holds its session for this long, renewed while it streams; a second turn of the
    # session meanwhile is a 409. A process that dies mid-turn blocks its session this long.
    turn_lease_seconds: int = Field(default=120, ge=10)


@lru_cache
def get_settings() -> InferenceApiSettings:
    """Return the process's settings, read once."""
    return InferenceApiSettings()
