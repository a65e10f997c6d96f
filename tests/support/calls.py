"""Count the AWS calls a boto3 client makes, by operation, through botocore's ``before-parameter-build`` event."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from apis.shared.caching import CACHE_VERSION_ITEM

if TYPE_CHECKING:
    from collections.abc import Iterator

# How a read of a cache's version stamp is counted: once per check interval of a process, not per request.
STAMP_READ = "GetItem (cache version)"


@contextmanager
def counted_calls(client: Any) -> Iterator[Counter[str]]:
    """Yield a counter of ``client``'s calls by operation name (``"Query"``, ``"BatchGetItem"`` …) while open.

    Each API call counts once (botocore's own retries of it are not counted). Reads of a
    cache's version stamp count apart, as ``STAMP_READ``: whether a request makes one
    depends on when the previous one was made, not on the request.
    """
    calls: Counter[str] = Counter()

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        key = params.get("Key") or {}
        stamp = model.name == "GetItem" and key.get("PK") == {"S": CACHE_VERSION_ITEM}
        calls[STAMP_READ if stamp else model.name] += 1

    event = f"before-parameter-build.{client.meta.service_model.service_name}"
    client.meta.events.register(event, count)
    try:
        yield calls
    finally:
        client.meta.events.unregister(event, count)
