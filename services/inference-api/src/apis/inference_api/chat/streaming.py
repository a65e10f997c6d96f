"""Serve a sync frame iterator as an SSE body without blocking the event loop, and stop it on disconnect."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
from anyio import to_thread

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

__all__ = ["frames_in_threads"]

_DONE = object()


async def frames_in_threads(frames: Iterator[str]) -> AsyncIterator[str]:
    """Pull each frame in a worker thread (the model and AWS calls block).

    When the client disconnects, Starlette cancels this generator; the frame
    iterator is then closed in a thread, shielded from the cancellation, so it
    stops the model stream and stores what it has.
    """
    try:
        while True:
            frame = await to_thread.run_sync(next, frames, _DONE)
            if frame is _DONE:
                return
            yield frame  # type: ignore[misc]
    finally:
        with anyio.CancelScope(shield=True):
            await to_thread.run_sync(frames.close)  # type: ignore[attr-defined]
