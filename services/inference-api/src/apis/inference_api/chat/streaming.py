"""Serve a sync frame iterator as an SSE body without blocking the event loop, and stop it on disconnect."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
from anyio import to_thread

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Generator

__all__ = ["frames_in_threads"]


async def frames_in_threads(frames: Generator[str, None, None]) -> AsyncIterator[str]:
    """Pull each frame in a worker thread (the model and AWS calls block).

    When the client disconnects, Starlette cancels this generator; the frame
    iterator is then closed in a thread, shielded from the cancellation, so it
    stops the model stream and stores what it has.
    """
    try:
        while True:
            frame = await to_thread.run_sync(next, frames, None)
            if frame is None:
                return
            yield frame
    finally:
        with anyio.CancelScope(shield=True):
            await to_thread.run_sync(frames.close)
