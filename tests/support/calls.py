"""Count the AWS calls a boto3 client makes, by operation, through botocore's ``before-call`` event."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def counted_calls(client: Any) -> Iterator[Counter[str]]:
    """Yield a counter of ``client``'s calls by operation name (``"Query"``, ``"BatchGetItem"`` …) while open.

    Each API call counts once (botocore's own retries of it are not counted).
    """
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    event = f"before-call.{client.meta.service_model.service_name}"
    client.meta.events.register(event, count)
    try:
        yield calls
    finally:
        client.meta.events.unregister(event, count)
