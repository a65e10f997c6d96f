"""A session's stored messages as the model's conversation history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apis.shared.providers import ChatTurn, TextBlock

if TYPE_CHECKING:
    from apis.shared.sessions import MessageResponse

__all__ = ["history_turns"]


def history_turns(messages: list[MessageResponse]) -> list[ChatTurn]:
    """Text turns, oldest first, alternating user/assistant as Bedrock requires.

    Consecutive messages of one role (an answer lost to a disconnect or a
    failure) are joined; a leading assistant message is dropped, since a
    conversation must start with the user.
    """
    turns: list[ChatTurn] = []
    for message in messages:
        if message.role not in ("user", "assistant"):
            continue
        text = "\n\n".join(block.text for block in message.content if block.type == "text" and block.text)
        if not text.strip():
            continue
        if turns and turns[-1].role == message.role:
            previous = turns[-1].content[0]
            joined = f"{previous.text}\n\n{text}" if isinstance(previous, TextBlock) else text
            turns[-1] = ChatTurn(role=message.role, content=(TextBlock(joined),))
        elif turns or message.role == "user":
            turns.append(ChatTurn(role=message.role, content=(TextBlock(text),)))
    return turns
