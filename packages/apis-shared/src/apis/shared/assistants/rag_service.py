"""Search an assistant's knowledge base and put what it finds in front of the question (the seed's names)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apis.shared.assistants.knowledge_base import KnowledgeBase

__all__ = ["augment_prompt_with_context", "search_assistant_knowledgebase_with_formatting"]

DEFAULT_MAX_CONTEXT = 2000


async def search_assistant_knowledgebase_with_formatting(
    assistant_id: str, query: str, top_k: int = 5, *, knowledge_base: KnowledgeBase
) -> list[dict[str, Any]]:
    """The ``top_k`` best chunks as ``{text, distance, metadata, key}``. A failed search raises."""
    hits = await asyncio.to_thread(knowledge_base.search, assistant_id, query, top_k)
    return [{"text": hit.text, "distance": hit.distance, "metadata": hit.metadata, "key": hit.key} for hit in hits]


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
