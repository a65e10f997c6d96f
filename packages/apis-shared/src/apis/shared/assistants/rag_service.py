"""Put what an assistant's knowledge base found in front of the question."""

from __future__ import annotations

from typing import Any

__all__ = ["augment_prompt_with_context"]

DEFAULT_MAX_CONTEXT = 2000


def augment_prompt_with_context(
    user_message: str, context_chunks: list[dict[str, Any]], max_context_length: int = DEFAULT_MAX_CONTEXT
) -> str:
    """Prefix the question with numbered context blocks, at most ``max_context_length`` characters of them."""
    if not context_chunks:
        return user_message
    blocks: list[str] = []
    used = 0
    for number, chunk in enumerate(context_chunks, start=1):
        text = str(chunk.get("text", "")).strip()
        if not text:
            continue
        room = max_context_length - used
        if room <= 0:
            break
        text = text[:room]
        used += len(text)
        blocks.append(f"[Context {number}]\n{text}")
    if not blocks:
        return user_message
    context = "\n\n".join(blocks)
    return (
        "Use the following context from the assistant's documents to answer. "
        "If it does not contain the answer, say so.\n\n"
        f"{context}\n\n---\nUser Question: {user_message}"
    )
