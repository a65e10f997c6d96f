"""Quota events (warnings, blocks, overrides applied) in their own table, newest first."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from apis.shared.aws import from_item, to_item, translate_aws_errors
from apis.shared.quota.models import QuotaEvent, QuotaEventType
from apis.shared.quota.table import TIER_EVENT_INDEX

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
        """Events newest first, by user, by tier, or across all users."""
        limit = max(1, min(limit, _MAX_LIMIT))
        request: dict[str, Any] = {"TableName": self._table}
        values: dict[str, Any] = {}
        filters: list[str] = []
        if user_id is not None:
            request["KeyConditionExpression"] = "PK = :pk AND SK BETWEEN :from AND :to"
            values |= {":pk": f"USER#{user_id}", ":from": f"EVENT#{since or ''}", ":to": "EVENT#~"}
            if tier_id is not None:
                filters.append("tierId = :tier")
                values[":tier"] = tier_id
        elif tier_id is not None:
            request |= {"IndexName": TIER_EVENT_INDEX}
            request["KeyConditionExpression"] = "GSI5PK = :pk AND GSI5SK >= :from"
            values |= {":pk": f"TIER#{tier_id}", ":from": f"TIMESTAMP#{since or ''}"}
        if event_type is not None:
            filters.append("eventType = :type")
            values[":type"] = event_type.value
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        if values:
            request["ExpressionAttributeValues"] = to_item(values)
        operation = "query" if "KeyConditionExpression" in request else "scan"
        if operation == "query":
            request["ScanIndexForward"] = False
        events: list[QuotaEvent] = []
        while len(events) < limit:
            with translate_aws_errors(f"quota-events: {operation}"):
                response = self._client.query(**request) if operation == "query" else self._client.scan(**request)
            events += [QuotaEvent.model_validate(from_item(item)) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        events.sort(key=lambda event: event.timestamp, reverse=True)
        return events[:limit]
