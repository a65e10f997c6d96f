"""Small helpers for DynamoDB items: plain Python values in, typed attribute values out."""

from __future__ import annotations

from decimal import Decimal, DecimalException
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from apis.shared.errors import InputValidationError

__all__ = ["UnstorableNumberError", "from_item", "plain", "to_item"]

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


class UnstorableNumberError(InputValidationError):
    """A number outside what DynamoDB stores: more than 38 significant digits, or a magnitude out of range."""

    def __init__(self, attribute: str) -> None:
        super().__init__(
            f"{attribute} is not a number the platform can store",
            detail="numbers have at most 38 significant digits and a magnitude between 1E-130 and 9.99E+125",
            field=attribute,
        )


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Serialize a dict into a DynamoDB item, leaving out None values.

    Raises:
        UnstorableNumberError: a number (at any depth) DynamoDB cannot hold exactly; it names the
            top-level attribute. Such numbers come from clients (a price of 1e-300), so it is a 422.
    """
    item = {}
    for key, value in values.items():
        if value is None:
            continue
        try:
            item[key] = _serializer.serialize(_for_dynamodb(value))
        except DecimalException as error:
            # boto3's decimal context traps Inexact, Rounded, Overflow, Underflow and Clamped.
            raise UnstorableNumberError(key) from error
    return item


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
