"""Small helpers for DynamoDB items: plain Python values in, typed attribute values out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

__all__ = ["from_item", "plain", "to_item"]

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _for_dynamodb(value: Any) -> Any:
    # DynamoDB numbers must be Decimal; floats go through str to keep their printed value.
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _for_dynamodb(inner) for key, inner in value.items() if inner is not None}
    if isinstance(value, list | tuple):
        return [_for_dynamodb(inner) for inner in value]
    return value


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Serialize a dict into a DynamoDB item, leaving out None values."""
    return {key: _serializer.serialize(_for_dynamodb(value)) for key, value in values.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """Deserialize a DynamoDB item into plain values (numbers become Decimal)."""
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def plain(value: Any) -> Any:
    """Turn DynamoDB's Decimals back into ints (whole numbers) and floats, recursively, for free-form data."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [plain(inner) for inner in value]
    return value
