"""Quota events (warnings, blocks, overrides applied) in their own table, read newest first by time range."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from apis.shared.aws import from_item, to_item, translate_aws_errors
from apis.shared.quota.models import QuotaEvent, QuotaEventType
from apis.shared.quota.table import EVENT_TYPE_TIME_INDEX, TIER_EVENT_INDEX

if TYPE_CHECKING:
    from decimal import Decimal

    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["QuotaEventRepository"]

_MAX_LIMIT = 500


class QuotaEventRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(
        self,
        *,
        user_id: str,
        tier_id: str,
        event_type: QuotaEventType,
        current_usage: Decimal,
        quota_limit: Decimal,
        percentage_used: Decimal,
        timestamp: str,
        metadata: dict[str, Any] | None = None,
    ) -> QuotaEvent:
        event = QuotaEvent(
            event_id=uuid.uuid4().hex,
            user_id=user_id,
            tier_id=tier_id,
            event_type=event_type,
            current_usage=current_usage,
            quota_limit=quota_limit,
            percentage_used=percentage_used,
            timestamp=timestamp,
            metadata=metadata,
        )
        item = {
            "PK": f"USER#{user_id}",
            "SK": f"EVENT#{timestamp}#{event.event_id}",
            "GSI5PK": f"TIER#{tier_id}",
            "GSI5SK": f"TIMESTAMP#{timestamp}",
            **event.model_dump(by_alias=True),
        }
        with translate_aws_errors("quota-events: put_item"):
            self._client.put_item(TableName=self._table, Item=to_item(item))
        return event

    def list_events(
        self,
        *,
        user_id: str | None = None,
        tier_id: str | None = None,
        event_type: QuotaEventType | None = None,
        since: str | None = None,
        limit: int = 50,
    ) -> list[QuotaEvent]:
        """Events at or after ``since`` (an ISO 8601 timestamp), newest first, by user, by tier, or of everyone.

        Every listing is a query whose key condition holds the time bound: a
        user's partition, a tier's index partition, or, across all users, the
        partition of each event type in ``EventTypeTimeIndex`` (one per type,
        merged), so ``since`` and ``limit`` are exact however many events
        the table holds.
        """
        limit = max(1, min(limit, _MAX_LIMIT))
        if user_id is not None:
            key = "PK = :pk AND SK BETWEEN :from AND :to"
            values: dict[str, Any] = {":pk": f"USER#{user_id}", ":from": f"EVENT#{since or ''}", ":to": "EVENT#~"}
            filters = {"tierId": tier_id, "eventType": event_type.value if event_type else None}
            return self._query(None, key, values, filters, limit)
        if tier_id is not None:
            key = "GSI5PK = :pk AND GSI5SK >= :from"
            values = {":pk": f"TIER#{tier_id}", ":from": f"TIMESTAMP#{since or ''}"}
            filters = {"eventType": event_type.value if event_type else None}
            return self._query(TIER_EVENT_INDEX, key, values, filters, limit)
        kinds = [event_type] if event_type is not None else list(QuotaEventType)
        events: list[QuotaEvent] = []
        for kind in kinds:
            if since:
                key, values = "eventType = :pk AND #ts >= :from", {":pk": kind.value, ":from": since}
                names: dict[str, str] | None = {"#ts": "timestamp"}
            else:
                key, values, names = "eventType = :pk", {":pk": kind.value}, None
            events += self._query(EVENT_TYPE_TIME_INDEX, key, values, {}, limit, names=names)
        events.sort(key=lambda event: (event.timestamp, event.event_id), reverse=True)
        return events[:limit]

    def _query(
        self,
        index: str | None,
        key_condition: str,
        values: dict[str, Any],
        filters: dict[str, str | None],
        limit: int,
        *,
        names: dict[str, str] | None = None,
    ) -> list[QuotaEvent]:
        """Up to ``limit`` events of one key range, newest first (filters applied page by page)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": key_condition,
            "ScanIndexForward": False,
        }
        if index is not None:
            request["IndexName"] = index
        conditions = [(name, value) for name, value in filters.items() if value is not None]
        if conditions:
            request["FilterExpression"] = " AND ".join(f"{name} = :f{n}" for n, (name, _) in enumerate(conditions))
            values = values | {f":f{n}": value for n, (_, value) in enumerate(conditions)}
        request["ExpressionAttributeValues"] = to_item(values)
        if names:
            request["ExpressionAttributeNames"] = names
        if not conditions:
            request["Limit"] = limit
        events: list[QuotaEvent] = []
        while len(events) < limit:
            with translate_aws_errors(f"quota-events: query {index or 'table'}"):
                response = self._client.query(**request)
            events += [QuotaEvent.model_validate(from_item(item)) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return events[:limit]
