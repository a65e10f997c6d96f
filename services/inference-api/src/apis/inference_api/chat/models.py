"""The body of ``POST /invocations`` as the web client builds it (snake_case)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FileContent", "InvocationRequest"]


class FileContent(BaseModel):
    """An inline file (base64), accepted from API callers; the web client uploads instead."""

    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=1, max_length=200)
    bytes: str = Field(min_length=1)


class InvocationRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session_id: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=200_000)
    model_id: str | None = Field(default=None, max_length=300)
    provider: Literal["bedrock", "openai", "gemini"] | None = None
    temperature: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1, le=200_000)
    system_prompt: str | None = Field(default=None, max_length=50_000)
    caching_enabled: bool | None = None
    enabled_tools: list[str] = Field(default_factory=list)
    assistant_id: str | None = Field(default=None, max_length=200)
    file_upload_ids: list[str] = Field(default_factory=list, max_length=20)
    files: list[FileContent] = Field(default_factory=list, max_length=5)
