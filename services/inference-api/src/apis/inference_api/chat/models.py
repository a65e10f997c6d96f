"""The body of ``POST /invocations`` as the web client builds it (snake_case)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from apis.shared.files import FileLimits
from apis.shared.ids import SafeId

__all__ = ["MAX_FILES_PER_MESSAGE", "MAX_INLINE_FILE_BYTES", "FileContent", "InvocationRequest"]

# Inline files are held to the limits of uploads: five a message, 4 MiB each once decoded.
MAX_FILES_PER_MESSAGE = FileLimits().max_files_per_message
MAX_INLINE_FILE_BYTES = FileLimits().max_file_bytes
# The base64 text of the largest file allowed.
_MAX_INLINE_BASE64_CHARS = 4 * -(-MAX_INLINE_FILE_BYTES // 3)


class FileContent(BaseModel):
    """An inline file (base64), accepted from API callers; the web client uploads instead."""

    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=1, max_length=200)
    bytes: str = Field(min_length=1, max_length=_MAX_INLINE_BASE64_CHARS)

    @field_validator("bytes")
    @classmethod
    def _decoded_size(cls, data: str) -> str:
        # Counted from the base64 text (4 characters carry 3 bytes, less the padding), not by decoding it.
        decoded = len(data) // 4 * 3 - data[-2:].count("=")
        if decoded > MAX_INLINE_FILE_BYTES:
            raise ValueError(f"the file is {decoded} bytes once decoded; at most {MAX_INLINE_FILE_BYTES}")
        return data


class InvocationRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session_id: SafeId  # into keys, S3 object keys and the X-Session-ID header: no `#`, `/` or line breaks
    message: str = Field(min_length=1, max_length=200_000)
    model_id: str | None = Field(default=None, max_length=300)
    provider: Literal["bedrock", "openai", "gemini"] | None = None
    temperature: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1, le=200_000)
    system_prompt: str | None = Field(default=None, max_length=50_000)
    caching_enabled: bool | None = None
    enabled_tools: list[str] = Field(default_factory=list)
    assistant_id: SafeId | None = None
    file_upload_ids: list[SafeId] = Field(default_factory=list, max_length=20)
    files: list[FileContent] = Field(default_factory=list, max_length=MAX_FILES_PER_MESSAGE)

    @model_validator(mode="after")
    def _files_per_message(self) -> InvocationRequest:
        attached = len(self.files) + len(set(self.file_upload_ids))
        if self.files and attached > MAX_FILES_PER_MESSAGE:
            raise ValueError(f"{attached} files attached (inline and uploaded); at most {MAX_FILES_PER_MESSAGE}")
        return self
