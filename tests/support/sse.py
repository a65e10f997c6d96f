"""Parse Server-Sent Events the way the web client (fetch-event-source) does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SseFrame:
    event: str | None
    data: Any


def parse_sse(text: str) -> list[SseFrame]:
    """Split a stream into frames; ``data`` is JSON-parsed when it parses, else the raw string."""
    frames = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        event: str | None = None
        data_lines = []
        for line in block.split("\n"):
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                event = value
            elif field == "data":
                data_lines.append(value)
        raw = "\n".join(data_lines)
        try:
            data: Any = json.loads(raw)
        except json.JSONDecodeError:
            data = raw
        frames.append(SseFrame(event, data))
    return frames
