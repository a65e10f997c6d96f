"""System prompts: the platform's base prompt, and an assistant's instructions after it."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["assistant_system_prompt", "base_system_prompt"]


def base_system_prompt(now: datetime | None = None) -> str:
    today = (now or datetime.now(tz=UTC)).strftime("%A, %d %B %Y")
    return (
        "You are a helpful assistant for a university. Answer accurately and concisely, "
        "use Markdown where it helps, and say so when you do not know.\n\n"
        f"Today is {today} (UTC)."
    )


def assistant_system_prompt(instructions: str, now: datetime | None = None) -> str:
    prompt = base_system_prompt(now)
    if instructions.strip():
        prompt += f"\n\n## Assistant-Specific Instructions\n\n{instructions.strip()}"
    return prompt
