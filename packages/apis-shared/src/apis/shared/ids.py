"""The one rule for ids a client sends that end up inside keys, S3 object keys or headers.

Ids become parts of composite keys (``SESSION#<id>``, ``M#<id>#<index>``,
``AST#<id>``), S3 keys (``user-files/<user>/<session>/...``) and response
headers, so a ``#`` would cross from one key prefix into another (the messages
of session ``a#0001`` would be listed with those of session ``a``), a ``/`` or
``..`` would move an object key, and a line break would split a header.

Every id the platform and the original system generate passes: UUIDs (the web
client's session ids; assignment and override ids), ``test-<12 hex>`` (assistant
test chats), ``ast-<12 hex>`` and ``DOC-<12 hex>``, upload ids
(``<ms hex>_<16 hex>``), tier ids, 9-digit user ids.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

__all__ = ["SAFE_ID_MAX_LENGTH", "SAFE_ID_PATTERN", "SafeId"]

SAFE_ID_MAX_LENGTH = 128
SAFE_ID_PATTERN = rf"^[A-Za-z0-9_-]{{1,{SAFE_ID_MAX_LENGTH}}}$"
"""Letters, digits, ``_`` and ``-``; 1 to 128 characters."""

SafeId = Annotated[str, Field(pattern=SAFE_ID_PATTERN, min_length=1, max_length=SAFE_ID_MAX_LENGTH)]
"""A request field holding such an id: anything else is a 422 ``validation_error``."""
