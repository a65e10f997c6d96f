"""Managed models in DynamoDB: ``PK = SK = MODEL#<id>``, found by ``modelId`` through ``ModelIdIndex``.

A ``MODELID#<modelId>`` guard item, written in the same transaction as the
model, makes a duplicate ``modelId`` impossible even when two admins save at
once (a check-then-write on the index could not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apis.shared.aws import GlobalIndex, TableDefinition, from_item, to_item, translate_aws_errors
from apis.shared.catalog.models import ManagedModel
from apis.shared.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "MANAGED_MODELS_TABLE",
    "MODEL_ID_INDEX",
    "DuplicateModelIdError",
    "ManagedModelNotFoundError",
    "ManagedModelRepository",
]

MODEL_ID_INDEX = "ModelIdIndex"
MANAGED_MODELS_TABLE = TableDefinition(indexes=(GlobalIndex(MODEL_ID_INDEX, "GSI1PK", "GSI1SK"),))


class ManagedModelNotFoundError(NotFoundError):
    default_message = "Model not found"


class DuplicateModelIdError(ConflictError):
    default_message = "A managed model with this modelId already exists"


class _ModelChangedError(ConflictError):
    default_message = "The model was changed by someone else; reload it and try again"


def _key(pk: str) -> dict[str, Any]:
    return to_item({"PK": pk, "SK": pk})


def _item(model: ManagedModel) -> dict[str, Any]:
    return to_item(
        {
            "PK": f"MODEL#{model.id}",
            "SK": f"MODEL#{model.id}",
            "GSI1PK": f"MODEL#{model.model_id}",
            "GSI1SK": f"MODEL#{model.id}",
            **model.model_dump(by_alias=True),
        }
    )


def _guard(model: ManagedModel) -> dict[str, Any]:
    return to_item({"PK": f"MODELID#{model.model_id}", "SK": f"MODELID#{model.model_id}", "id": model.id})


def _model(item: dict[str, Any]) -> ManagedModel:
    values = from_item(item)
    return ManagedModel.model_validate({k: v for k, v in values.items() if k not in ("PK", "SK", "GSI1PK", "GSI1SK")})


class ManagedModelRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, model_uuid: str) -> ManagedModel | None:
        with translate_aws_errors("managed-models: get_item"):
            response = self._client.get_item(
                TableName=self._table, Key=_key(f"MODEL#{model_uuid}"), ConsistentRead=True
            )
        item = response.get("Item")
        return _model(item) if item else None

    def get_or_raise(self, model_uuid: str) -> ManagedModel:
        model = self.get(model_uuid)
        if model is None:
            raise ManagedModelNotFoundError(field="id")
        return model

    def get_by_model_id(self, model_id: str) -> ManagedModel | None:
        with translate_aws_errors(f"managed-models: query {MODEL_ID_INDEX}"):
            response = self._client.query(
                TableName=self._table,
                IndexName=MODEL_ID_INDEX,
                KeyConditionExpression="GSI1PK = :model",
                ExpressionAttributeValues=to_item({":model": f"MODEL#{model_id}"}),
                Limit=1,
            )
        items = response.get("Items", [])
        return _model(items[0]) if items else None

    def list_models(self) -> list[ManagedModel]:
        """Every managed model, by name."""
        models: list[ManagedModel] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "begins_with(PK, :prefix)",
            "ExpressionAttributeValues": to_item({":prefix": "MODEL#"}),
        }
        while True:
            with translate_aws_errors("managed-models: scan"):
                response = self._client.scan(**request)
            models += [_model(item) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return sorted(models, key=lambda model: (model.model_name.lower(), model.id))
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def create(self, model: ManagedModel) -> ManagedModel:
        new_only = "attribute_not_exists(PK)"
        writes: list[Any] = [
            {"Put": {"TableName": self._table, "Item": _guard(model), "ConditionExpression": new_only}},
            {"Put": {"TableName": self._table, "Item": _item(model), "ConditionExpression": new_only}},
        ]
        with translate_aws_errors(
            "managed-models: transact_write_items (create)", on_condition_failed=DuplicateModelIdError
        ):
            self._client.transact_write_items(TransactItems=writes)
        return model

    def update(self, current: ManagedModel, updated: ManagedModel) -> ManagedModel:
        writes: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _item(updated),
                    "ConditionExpression": "attribute_exists(PK) AND updatedAt = :expected",
                    "ExpressionAttributeValues": to_item({":expected": current.updated_at}),
                }
            }
        ]
        if updated.model_id != current.model_id:
            writes += [
                {"Delete": {"TableName": self._table, "Key": _key(f"MODELID#{current.model_id}")}},
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _guard(updated),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        failed = DuplicateModelIdError if updated.model_id != current.model_id else _ModelChangedError
        with translate_aws_errors("managed-models: transact_write_items (update)", on_condition_failed=failed):
            self._client.transact_write_items(TransactItems=writes)
        return updated

    def delete(self, model: ManagedModel) -> None:
        writes: list[Any] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": _key(f"MODEL#{model.id}"),
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
            {"Delete": {"TableName": self._table, "Key": _key(f"MODELID#{model.model_id}")}},
        ]
        with translate_aws_errors(
            "managed-models: transact_write_items (delete)", on_condition_failed=ManagedModelNotFoundError
        ):
            self._client.transact_write_items(TransactItems=writes)
