"""Key schemas of the platform's DynamoDB tables, as data.

Each domain declares its table here-shaped (``users.table.USERS_TABLE``) so
that the dev command, the tests and infrastructure code create exactly the
schema the repositories query. Every key attribute is a string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apis.shared.aws.errors import translate_aws_errors

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["GlobalIndex", "TableDefinition", "create_table"]


@dataclass(frozen=True)
class GlobalIndex:
    """A global secondary index: string hash key, optional range key (``S`` or ``N``), ALL projection."""

    name: str
    hash_key: str
    range_key: str | None = None
    range_key_type: str = "S"


@dataclass(frozen=True)
class TableDefinition:
    """A table's keys, indexes and TTL attribute (on-demand billing)."""

    hash_key: str = "PK"
    range_key: str | None = "SK"
    indexes: tuple[GlobalIndex, ...] = field(default=())
    ttl_attribute: str | None = None

    def create_table_request(self, table_name: str) -> dict[str, Any]:
        attributes = {self.hash_key: "S"} | ({self.range_key: "S"} if self.range_key else {})
        for index in self.indexes:
            attributes[index.hash_key] = "S"
            if index.range_key:
                attributes[index.range_key] = index.range_key_type
        request: dict[str, Any] = {
            "TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": kind} for name, kind in sorted(attributes.items())
            ],
            "KeySchema": _key_schema(self.hash_key, self.range_key),
        }
        if self.indexes:
            request["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema(index.hash_key, index.range_key),
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in self.indexes
            ]
        return request


def _key_schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def create_table(client: DynamoDBClient, table_name: str, definition: TableDefinition) -> bool:
    """Create the table unless it exists, wait until it is active; return whether it was created."""
    existing = client.list_tables().get("TableNames", [])
    if table_name in existing:
        return False
    with translate_aws_errors(f"{table_name}: create_table"):
        client.create_table(**definition.create_table_request(table_name))
        client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        if definition.ttl_attribute:
            client.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": definition.ttl_attribute},
            )
    return True
