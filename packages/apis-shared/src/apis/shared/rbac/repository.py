"""DynamoDB access to AppRoles. A role and its mapping items always change together, in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apis.shared.aws import from_item, to_item, translate_aws_errors
from apis.shared.errors import ConflictError, InputValidationError, NotFoundError
from apis.shared.rbac.models import AppRole
from apis.shared.rbac.table import JWT_ROLE_INDEX, MODEL_ROLE_INDEX, TOOL_ROLE_INDEX

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["MAX_MAPPINGS", "AppRoleChangedError", "AppRoleExistsError", "AppRoleNotFoundError", "AppRoleRepository"]

# DynamoDB transactions take at most 100 items: the definition plus its mappings.
MAX_MAPPINGS = 99
DEFINITION = "DEFINITION"


class AppRoleNotFoundError(NotFoundError):
    """No AppRole with that id."""

    default_message = "Role not found"


class AppRoleExistsError(ConflictError):
    """An AppRole with that id already exists."""

    default_message = "Role already exists"


class AppRoleChangedError(ConflictError):
    """The role changed (or vanished) after it was read; reload and retry."""

    default_message = "The role was changed by someone else; reload it and try again"


def _definition(role: AppRole) -> dict[str, Any]:
    return to_item({"PK": f"ROLE#{role.role_id}", "SK": DEFINITION, **role.model_dump(by_alias=True, mode="json")})


def _mappings(role: AppRole) -> dict[str, dict[str, Any]]:
    """Mapping items keyed by SK."""
    base = {"PK": f"ROLE#{role.role_id}", "roleId": role.role_id, "enabled": role.enabled}
    items: dict[str, dict[str, Any]] = {}
    for jwt_role in role.jwt_role_mappings:
        sk = f"JWT_MAPPING#{jwt_role}"
        items[sk] = {**base, "SK": sk, "GSI1PK": f"JWT_ROLE#{jwt_role}", "GSI1SK": f"ROLE#{role.role_id}"}
    for tool in role.granted_tools:
        sk = f"TOOL_GRANT#{tool}"
        items[sk] = {**base, "SK": sk, "GSI2PK": f"TOOL#{tool}", "GSI2SK": f"ROLE#{role.role_id}"}
    for model in role.granted_models:
        sk = f"MODEL_GRANT#{model}"
        items[sk] = {**base, "SK": sk, "GSI3PK": f"MODEL#{model}", "GSI3SK": f"ROLE#{role.role_id}"}
    if len(items) > MAX_MAPPINGS:
        raise InputValidationError(
            f"A role can have at most {MAX_MAPPINGS} JWT mappings, tool grants and model grants together"
        )
    return items


def _to_role(item: dict[str, Any]) -> AppRole:
    values = from_item(item)
    values.pop("PK", None)
    values.pop("SK", None)
    return AppRole.model_validate(values)


class AppRoleRepository:
    """AppRoles in one DynamoDB table (see ``APP_ROLES_TABLE``)."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _key(self, role_id: str, sk: str = DEFINITION) -> dict[str, Any]:
        return to_item({"PK": f"ROLE#{role_id}", "SK": sk})

    def get(self, role_id: str) -> AppRole | None:
        with translate_aws_errors("app-roles: get_item"):
            response = self._client.get_item(TableName=self._table, Key=self._key(role_id), ConsistentRead=True)
        item = response.get("Item")
        return _to_role(item) if item else None

    def get_or_raise(self, role_id: str) -> AppRole:
        role = self.get(role_id)
        if role is None:
            raise AppRoleNotFoundError(field="roleId")
        return role

    def exists(self, role_id: str) -> bool:
        return self.get(role_id) is not None

    def list_roles(self, *, enabled_only: bool = False) -> list[AppRole]:
        """Every role, highest priority first, then by id."""
        roles: list[AppRole] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "SK = :definition",
            "ExpressionAttributeValues": to_item({":definition": DEFINITION}),
        }
        while True:
            with translate_aws_errors("app-roles: scan"):
                response = self._client.scan(**request)
            roles.extend(_to_role(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        if enabled_only:
            roles = [role for role in roles if role.enabled]
        return sorted(roles, key=lambda role: (-role.priority, role.role_id))

    def create(self, role: AppRole) -> AppRole:
        """Store a new role with its mappings; ``AppRoleExistsError`` if the id is taken."""
        writes: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _definition(role),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        ]
        writes += [{"Put": {"TableName": self._table, "Item": to_item(item)}} for item in _mappings(role).values()]
        with translate_aws_errors("app-roles: transact_write_items (create)", on_condition_failed=AppRoleExistsError):
            self._client.transact_write_items(TransactItems=writes)
        return role

    def update(self, current: AppRole, updated: AppRole) -> AppRole:
        """Replace ``current`` by ``updated``, mappings included, unless the stored role changed meanwhile."""
        old_keys = set(_mappings(current))
        new_items = _mappings(updated)
        writes: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _definition(updated),
                    "ConditionExpression": "attribute_exists(PK) AND updatedAt = :expected",
                    "ExpressionAttributeValues": to_item({":expected": current.updated_at}),
                }
            }
        ]
        writes += [
            {"Delete": {"TableName": self._table, "Key": self._key(current.role_id, sk)}}
            for sk in sorted(old_keys - set(new_items))
        ]
        writes += [{"Put": {"TableName": self._table, "Item": to_item(item)}} for item in new_items.values()]
        with translate_aws_errors("app-roles: transact_write_items (update)", on_condition_failed=AppRoleChangedError):
            self._client.transact_write_items(TransactItems=writes)
        return updated

    def delete(self, role: AppRole) -> None:
        """Delete a role and its mappings; ``AppRoleNotFoundError`` if it is already gone."""
        writes: list[Any] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": self._key(role.role_id),
                    "ConditionExpression": "attribute_exists(PK)",
                }
            }
        ]
        writes += [
            {"Delete": {"TableName": self._table, "Key": self._key(role.role_id, sk)}} for sk in sorted(_mappings(role))
        ]
        with translate_aws_errors("app-roles: transact_write_items (delete)", on_condition_failed=AppRoleNotFoundError):
            self._client.transact_write_items(TransactItems=writes)

    def role_ids_for_jwt_role(self, jwt_role: str) -> list[str]:
        """Enabled roles that a JWT role maps to."""
        return self._role_ids(JWT_ROLE_INDEX, "GSI1PK", f"JWT_ROLE#{jwt_role}")

    def role_ids_for_tool(self, tool_id: str) -> list[str]:
        return self._role_ids(TOOL_ROLE_INDEX, "GSI2PK", f"TOOL#{tool_id}")

    def role_ids_for_model(self, model_id: str) -> list[str]:
        return self._role_ids(MODEL_ROLE_INDEX, "GSI3PK", f"MODEL#{model_id}")

    def _role_ids(self, index: str, key: str, value: str) -> list[str]:
        role_ids: list[str] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": f"{key} = :value",
            "ExpressionAttributeValues": to_item({":value": value}),
        }
        while True:
            with translate_aws_errors(f"app-roles: query {index}"):
                response = self._client.query(**request)
            role_ids += [
                str(values["roleId"]) for values in map(from_item, response.get("Items", [])) if values.get("enabled")
            ]
            if "LastEvaluatedKey" not in response:
                return sorted(set(role_ids))
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
