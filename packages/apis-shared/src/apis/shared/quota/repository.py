"""DynamoDB access to quota tiers, assignments and overrides (the user-quotas table)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from apis.shared.aws import from_item, to_item, translate_aws_errors
from apis.shared.caching import VersionStamp
from apis.shared.errors import ApisError, ConflictError, InputValidationError, NotFoundError
from apis.shared.quota.models import (
    QuotaAssignment,
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaAssignmentUpdate,
    QuotaOverride,
    QuotaOverrideCreate,
    QuotaOverrideUpdate,
    QuotaTier,
    QuotaTierCreate,
    QuotaTierUpdate,
)
from apis.shared.quota.table import (
    APP_ROLE_ASSIGNMENT_INDEX,
    ASSIGNMENT_TYPE_INDEX,
    ROLE_ASSIGNMENT_INDEX,
    USER_ASSIGNMENT_INDEX,
    USER_OVERRIDE_INDEX,
)
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "AssignmentNotFoundError",
    "OverrideNotFoundError",
    "QuotaRepository",
    "TierInUseError",
    "TierNotFoundError",
]

M = TypeVar("M", bound=BaseModel)
_METADATA = "METADATA"


class TierNotFoundError(NotFoundError):
    default_message = "Quota tier not found"


class AssignmentNotFoundError(NotFoundError):
    default_message = "Quota assignment not found"


class OverrideNotFoundError(NotFoundError):
    default_message = "Quota override not found"


class TierInUseError(ConflictError):
    default_message = "The quota tier is still assigned"


class _ChangedError(ConflictError):
    default_message = "The item was changed by someone else; reload it and try again"


def _priority_key(priority: int, item_id: str) -> str:
    # Zero-padded so that the index orders priorities numerically (10 after 9).
    return f"PRIORITY#{priority:06d}#{item_id}"


def _assignment_item(assignment: QuotaAssignment) -> dict[str, Any]:
    values: dict[str, Any] = {
        "PK": f"ASSIGNMENT#{assignment.assignment_id}",
        "SK": _METADATA,
        **assignment.model_dump(by_alias=True),
        "GSI1PK": f"ASSIGNMENT_TYPE#{assignment.assignment_type.value}",
        "GSI1SK": _priority_key(assignment.priority, assignment.assignment_id),
    }
    if assignment.assignment_type is QuotaAssignmentType.DIRECT_USER:
        values |= {"GSI2PK": f"USER#{assignment.user_id}", "GSI2SK": f"ASSIGNMENT#{assignment.assignment_id}"}
    elif assignment.assignment_type is QuotaAssignmentType.JWT_ROLE:
        values |= {"GSI3PK": f"ROLE#{assignment.jwt_role}", "GSI3SK": values["GSI1SK"]}
    elif assignment.assignment_type is QuotaAssignmentType.APP_ROLE:
        values |= {"GSI6PK": f"APP_ROLE#{assignment.app_role_id}", "GSI6SK": values["GSI1SK"]}
    return to_item(values)


def _override_item(override: QuotaOverride) -> dict[str, Any]:
    return to_item(
        {
            "PK": f"OVERRIDE#{override.override_id}",
            "SK": _METADATA,
            **override.model_dump(by_alias=True),
            "GSI4PK": f"USER#{override.user_id}",
            "GSI4SK": f"VALID_UNTIL#{override.valid_until}",
        }
    )


def _tier_item(tier: QuotaTier) -> dict[str, Any]:
    return to_item({"PK": f"QUOTA_TIER#{tier.tier_id}", "SK": _METADATA, **tier.model_dump(by_alias=True)})


def _model(model: type[M], item: dict[str, Any]) -> M:
    return model.model_validate(from_item(item))


class QuotaRepository:
    """Tiers, assignments and overrides. Every failure propagates as a typed error.

    Every write also increments the table's ``VersionStamp`` in the same transaction,
    so that each process's ``QuotaResolver`` learns of it (``cache_version``).
    """

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._stamp = VersionStamp(client, table_name)

    def cache_version(self) -> int:
        """The counter that every tier, assignment and override write increments."""
        return self._stamp.read()

    # ------------------------------------------------------------------ plumbing

    def _key(self, pk: str) -> dict[str, Any]:
        return to_item({"PK": pk, "SK": _METADATA})

    def _get(self, pk: str, what: str) -> dict[str, Any] | None:
        with translate_aws_errors(f"user-quotas: get_item ({what})"):
            response = self._client.get_item(TableName=self._table, Key=self._key(pk), ConsistentRead=True)
        return response.get("Item")

    def _write(self, action: dict[str, Any], what: str, failed: Callable[[], ApisError]) -> None:
        """One conditional write and the version stamp's increment, in one transaction."""
        writes: list[Any] = [action, self._stamp.bump_action()]
        with translate_aws_errors(f"user-quotas: transact_write_items ({what})", on_condition_failed=failed):
            self._client.transact_write_items(TransactItems=writes)

    def _put_new(self, item: dict[str, Any], what: str, exists: Callable[[], ApisError]) -> None:
        put = {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}
        self._write({"Put": put}, what, exists)

    def _put_replacing(
        self, item: dict[str, Any], expected_updated_at: str, what: str, stamp: str = "updatedAt"
    ) -> None:
        put = {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": f"attribute_exists(PK) AND {stamp} = :expected",
            "ExpressionAttributeValues": to_item({":expected": expected_updated_at}),
        }
        self._write({"Put": put}, what, _ChangedError)

    def _delete(self, pk: str, what: str, missing: Callable[[], ApisError]) -> None:
        delete = {"TableName": self._table, "Key": self._key(pk), "ConditionExpression": "attribute_exists(PK)"}
        self._write({"Delete": delete}, what, missing)

    def _scan_prefix(self, prefix: str, what: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "begins_with(PK, :prefix) AND SK = :metadata",
            "ExpressionAttributeValues": to_item({":prefix": prefix, ":metadata": _METADATA}),
        }
        while True:
            with translate_aws_errors(f"user-quotas: scan ({what})"):
                response = self._client.scan(**request)
            items += response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return items
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _query(self, index: str, key: str, value: str, what: str, *, newest_first: bool = True) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": f"{key} = :value",
            "ExpressionAttributeValues": to_item({":value": value}),
            "ScanIndexForward": not newest_first,
        }
        while True:
            with translate_aws_errors(f"user-quotas: query {index} ({what})"):
                response = self._client.query(**request)
            items += response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return items
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # ------------------------------------------------------------------ tiers

    def get_tier(self, tier_id: str) -> QuotaTier | None:
        item = self._get(f"QUOTA_TIER#{tier_id}", "tier")
        return _model(QuotaTier, item) if item else None

    def get_tier_or_raise(self, tier_id: str) -> QuotaTier:
        tier = self.get_tier(tier_id)
        if tier is None:
            raise TierNotFoundError(field="tierId")
        return tier

    def list_tiers(self, *, enabled_only: bool = False) -> list[QuotaTier]:
        tiers = [_model(QuotaTier, item) for item in self._scan_prefix("QUOTA_TIER#", "tiers")]
        return sorted((t for t in tiers if t.enabled or not enabled_only), key=lambda tier: tier.tier_id)

    def create_tier(self, data: QuotaTierCreate, *, created_by: str) -> QuotaTier:
        now = utc_timestamp(timespec="auto")
        tier = QuotaTier(**data.model_dump(by_alias=False), created_at=now, updated_at=now, created_by=created_by)
        self._put_new(_tier_item(tier), "tier", lambda: ConflictError(f"Quota tier {tier.tier_id} already exists"))
        return tier

    def update_tier(self, tier_id: str, data: QuotaTierUpdate) -> QuotaTier:
        current = self.get_tier_or_raise(tier_id)
        updated = current.model_copy(
            update={**data.model_dump(exclude_unset=True, by_alias=False), "updated_at": utc_timestamp(timespec="auto")}
        )
        QuotaTier.model_validate(updated.model_dump())
        self._put_replacing(_tier_item(updated), current.updated_at, "tier")
        return updated

    def delete_tier(self, tier_id: str) -> None:
        in_use = [a.assignment_id for a in self.list_assignments() if a.tier_id == tier_id]
        if in_use:
            raise TierInUseError(f"Quota tier {tier_id} is used by {len(in_use)} assignment(s); remove them first")
        self._delete(f"QUOTA_TIER#{tier_id}", "tier", TierNotFoundError)

    # ------------------------------------------------------------------ assignments

    def get_assignment(self, assignment_id: str) -> QuotaAssignment | None:
        item = self._get(f"ASSIGNMENT#{assignment_id}", "assignment")
        return _model(QuotaAssignment, item) if item else None

    def get_assignment_or_raise(self, assignment_id: str) -> QuotaAssignment:
        assignment = self.get_assignment(assignment_id)
        if assignment is None:
            raise AssignmentNotFoundError(field="assignmentId")
        return assignment

    def list_assignments(self, *, enabled_only: bool = False, tier_id: str | None = None) -> list[QuotaAssignment]:
        assignments = [_model(QuotaAssignment, item) for item in self._scan_prefix("ASSIGNMENT#", "assignments")]
        selected = [
            a for a in assignments if (a.enabled or not enabled_only) and (tier_id is None or a.tier_id == tier_id)
        ]
        return sorted(selected, key=lambda a: (-a.priority, a.assignment_id))

    def create_assignment(self, data: QuotaAssignmentCreate, *, created_by: str) -> QuotaAssignment:
        self.get_tier_or_raise(data.tier_id)
        now = utc_timestamp(timespec="auto")
        assignment = QuotaAssignment(
            **data.model_dump(by_alias=False),
            assignment_id=uuid.uuid4().hex,
            created_at=now,
            updated_at=now,
            created_by=created_by,
        )
        self._put_new(_assignment_item(assignment), "assignment", ConflictError)
        return assignment

    def update_assignment(self, assignment_id: str, data: QuotaAssignmentUpdate) -> QuotaAssignment:
        current = self.get_assignment_or_raise(assignment_id)
        changes = data.model_dump(exclude_unset=True, by_alias=False)
        if changes.get("tier_id"):
            self.get_tier_or_raise(changes["tier_id"])
        updated = current.model_copy(update={**changes, "updated_at": utc_timestamp(timespec="auto")})
        self._put_replacing(_assignment_item(updated), current.updated_at, "assignment")
        return updated

    def delete_assignment(self, assignment_id: str) -> None:
        self._delete(f"ASSIGNMENT#{assignment_id}", "assignment", AssignmentNotFoundError)

    def assignments_for_user(self, user_id: str) -> list[QuotaAssignment]:
        items = self._query(USER_ASSIGNMENT_INDEX, "GSI2PK", f"USER#{user_id}", "by user")
        return sorted((_model(QuotaAssignment, i) for i in items), key=lambda a: (-a.priority, a.assignment_id))

    def assignments_for_app_role(self, app_role_id: str) -> list[QuotaAssignment]:
        items = self._query(APP_ROLE_ASSIGNMENT_INDEX, "GSI6PK", f"APP_ROLE#{app_role_id}", "by AppRole")
        return [_model(QuotaAssignment, item) for item in items]

    def assignments_for_jwt_role(self, jwt_role: str) -> list[QuotaAssignment]:
        items = self._query(ROLE_ASSIGNMENT_INDEX, "GSI3PK", f"ROLE#{jwt_role}", "by JWT role")
        return [_model(QuotaAssignment, item) for item in items]

    def assignments_of_type(self, assignment_type: QuotaAssignmentType) -> list[QuotaAssignment]:
        items = self._query(ASSIGNMENT_TYPE_INDEX, "GSI1PK", f"ASSIGNMENT_TYPE#{assignment_type.value}", "by type")
        return [_model(QuotaAssignment, item) for item in items]

    # ------------------------------------------------------------------ overrides

    def get_override(self, override_id: str) -> QuotaOverride | None:
        item = self._get(f"OVERRIDE#{override_id}", "override")
        return _model(QuotaOverride, item) if item else None

    def get_override_or_raise(self, override_id: str) -> QuotaOverride:
        override = self.get_override(override_id)
        if override is None:
            raise OverrideNotFoundError(field="overrideId")
        return override

    def list_overrides(self, *, active_only: bool = False, user_id: str | None = None) -> list[QuotaOverride]:
        if user_id is not None:
            items = self._query(USER_OVERRIDE_INDEX, "GSI4PK", f"USER#{user_id}", "overrides by user")
        else:
            items = self._scan_prefix("OVERRIDE#", "overrides")
        overrides = [_model(QuotaOverride, item) for item in items]
        now = utc_timestamp(timespec="auto")
        if active_only:
            overrides = [o for o in overrides if o.enabled and o.valid_from <= now < o.valid_until]
        return sorted(overrides, key=lambda o: (o.valid_until, o.override_id), reverse=True)

    def active_override(self, user_id: str, *, now: str | None = None) -> QuotaOverride | None:
        """The enabled override of ``user_id`` valid at ``now`` that ends last, if any."""
        moment = now or utc_timestamp(timespec="auto")
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": USER_OVERRIDE_INDEX,
            "KeyConditionExpression": "GSI4PK = :user AND GSI4SK > :now",
            "ExpressionAttributeValues": to_item({":user": f"USER#{user_id}", ":now": f"VALID_UNTIL#{moment}"}),
            "ScanIndexForward": False,
        }
        with translate_aws_errors(f"user-quotas: query {USER_OVERRIDE_INDEX} (active override)"):
            response = self._client.query(**request)
        candidates = [_model(QuotaOverride, item) for item in response.get("Items", [])]
        return next((o for o in candidates if o.enabled and o.valid_from <= moment), None)

    def create_override(self, data: QuotaOverrideCreate, *, created_by: str) -> QuotaOverride:
        now = utc_timestamp(timespec="auto")
        override = QuotaOverride(
            **data.model_dump(by_alias=False),
            override_id=uuid.uuid4().hex,
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
        self._put_new(_override_item(override), "override", ConflictError)
        return override

    def update_override(self, override_id: str, data: QuotaOverrideUpdate) -> QuotaOverride:
        current = self.get_override_or_raise(override_id)
        changes = data.model_dump(exclude_unset=True, by_alias=False)
        if data.valid_until is not None and data.valid_until <= current.valid_from:
            raise InputValidationError("validUntil must be after validFrom", field="validUntil")
        updated = QuotaOverride.model_validate(
            current.model_copy(update={**changes, "updated_at": utc_timestamp(timespec="auto")}).model_dump()
        )
        self._put_replacing(_override_item(updated), current.updated_at, "override")
        return updated

    def delete_override(self, override_id: str) -> None:
        self._delete(f"OVERRIDE#{override_id}", "override", OverrideNotFoundError)
