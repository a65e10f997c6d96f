from __future__ import annotations

from apis.shared.aws import GlobalIndex, TableDefinition, create_table

DEFINITION = TableDefinition(
    indexes=(GlobalIndex("ByEmail", "email"), GlobalIndex("ByDomain", "GSI2PK", "GSI2SK")), ttl_attribute="ttl"
)


def test_create_table_builds_keys_indexes_and_ttl_once(dynamodb) -> None:
    assert create_table(dynamodb, "things", DEFINITION) is True
    assert create_table(dynamodb, "things", DEFINITION) is False
    described = dynamodb.describe_table(TableName="things")["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in described["KeySchema"]} == {"PK": "HASH", "SK": "RANGE"}
    assert {index["IndexName"] for index in described["GlobalSecondaryIndexes"]} == {"ByEmail", "ByDomain"}
    ttl = dynamodb.describe_time_to_live(TableName="things")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "ttl"


def test_hash_only_table_request() -> None:
    request = TableDefinition(hash_key="id", range_key=None).create_table_request("t")
    assert request["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert "GlobalSecondaryIndexes" not in request
