"""Reading many DynamoDB items by key: ``BatchGetItem`` until every key is answered, or a typed error."""

from __future__ import annotations

import json
import random
import time
from typing import TYPE_CHECKING, Any

from apis.shared.aws.errors import DependencyThrottledError, translate_aws_errors

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["batch_get_all"]

_MAX_KEYS = 100  # what DynamoDB accepts in one BatchGetItem request


def batch_get_all(
    client: DynamoDBClient,
    table: str,
    keys: Iterable[dict[str, Any]],
    *,
    consistent: bool,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 5,
    what: str | None = None,
) -> list[dict[str, Any]]:
    """The items of ``table`` at ``keys`` (typed attribute values), in no particular order; missing ones left out.

    ``keys`` are typed DynamoDB keys (``{"PK": {"S": ...}, ...}``); a key given
    twice is asked once. They are asked 100 at a time. DynamoDB may answer part
    of a request and return the rest as ``UnprocessedKeys`` (under load, or past
    16 MB); those are asked again after a jittered pause that doubles each time,
    up to ``attempts`` requests per batch. ``what`` names the call in errors
    (default ``"<table>: batch_get_item"``).

    Raises:
        DependencyThrottledError: keys were still unprocessed after the last attempt, or DynamoDB throttled.
        DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed.
    """
    label = what or f"{table}: batch_get_item"
    # Typed keys are dicts: their canonical JSON tells two equal keys apart from different ones.
    unique = list({json.dumps(key, sort_keys=True): key for key in keys}.values())
    items: list[dict[str, Any]] = []
    for offset in range(0, len(unique), _MAX_KEYS):
        pending: list[Any] = unique[offset : offset + _MAX_KEYS]
        for attempt in range(1, attempts + 1):
            with translate_aws_errors(label):
                response = client.batch_get_item(RequestItems={table: {"Keys": pending, "ConsistentRead": consistent}})
            answered: dict[str, Any] = dict(response.get("Responses", {}))
            unprocessed: dict[str, Any] = dict(response.get("UnprocessedKeys", {}))
            items.extend(answered.get(table, []))
            pending = list(unprocessed.get(table, {}).get("Keys", []))
            if not pending:
                break
            if attempt == attempts:
                raise DependencyThrottledError(detail=f"{label} left keys unprocessed", retry_after=1)
            sleep(random.uniform(0.01, 0.05) * 2**attempt)
    return items
