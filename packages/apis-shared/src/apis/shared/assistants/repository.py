"""Assistants and their shares in DynamoDB. Every failure propagates as a typed error."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from apis.shared.assistants.models import (
    Assistant,
    AssistantVisibility,
    CreateAssistantRequest,
    UpdateAssistantRequest,
)
from apis.shared.assistants.table import OWNER_STATUS_INDEX, SHARED_WITH_INDEX
from apis.shared.aws import from_item, plain, to_item, translate_aws_errors
from apis.shared.errors import ConflictError, NotFoundError, PermissionDeniedError
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "AssistantAccessDeniedError",
    "AssistantNotFoundError",
    "AssistantRepository",
    "new_assistant_id",
    "visible_to",
]

_METADATA = "METADATA"
_KEYS = frozenset({"PK", "SK", "GSI_PK", "GSI_SK", "GSI2_PK", "GSI2_SK", "GSI3_PK", "GSI3_SK"})


class AssistantNotFoundError(NotFoundError):
    default_message = "Assistant not found"


class AssistantAccessDeniedError(PermissionDeniedError):
    default_message = "You do not have access to this assistant"


def new_assistant_id() -> str:
    return f"ast-{uuid.uuid4().hex[:12]}"


def _item(assistant: Assistant) -> dict[str, Any]:
    status_key = f"STATUS#{assistant.status.value}#CREATED#{assistant.created_at}"
    return to_item(
        {
            "PK": f"AST#{assistant.assistant_id}",
            "SK": _METADATA,
            "GSI_PK": f"OWNER#{assistant.owner_id}",
            "GSI_SK": status_key,
            "GSI2_PK": f"VISIBILITY#{assistant.visibility.value}",
            "GSI2_SK": status_key,
            **assistant.model_dump(by_alias=True, mode="json"),
        }
    )


def _assistant(item: dict[str, Any]) -> Assistant:
    return Assistant.model_validate({k: v for k, v in plain(from_item(item)).items() if k not in _KEYS})


class AssistantRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, assistant_id: str) -> Assistant | None:
        with translate_aws_errors("assistants: get_item"):
            response = self._client.get_item(
                TableName=self._table, Key=to_item({"PK": f"AST#{assistant_id}", "SK": _METADATA}), ConsistentRead=True
            )
        item = response.get("Item")
        return _assistant(item) if item else None

    def get_owned(self, assistant_id: str, owner_id: str) -> Assistant:
        """The assistant if ``owner_id`` owns it; anyone else gets 'not found'."""
        assistant = self.get(assistant_id)
        if assistant is None or assistant.owner_id != owner_id:
            raise AssistantNotFoundError(field="assistantId")
        return assistant

    def put(self, assistant: Assistant, *, new: bool = False) -> Assistant:
        condition = "attribute_not_exists(PK)" if new else "attribute_exists(PK)"
        with translate_aws_errors("assistants: put_item", on_condition_failed=AssistantNotFoundError):
            self._client.put_item(TableName=self._table, Item=_item(assistant), ConditionExpression=condition)
        return assistant

    def create(
        self, owner_id: str, owner_name: str, request: CreateAssistantRequest, *, vector_index_id: str
    ) -> Assistant:
        now = utc_timestamp()
        assistant = Assistant(
            assistant_id=new_assistant_id(),
            owner_id=owner_id,
            owner_name=owner_name,
            name=request.name,
            description=request.description,
            instructions=request.instructions,
            vector_index_id=request.vector_index_id or vector_index_id,
            visibility=request.visibility,
            tags=request.tags,
            image_url=request.image_url,
            status=request.status,
            created_at=now,
            updated_at=now,
        )
        return self.put(assistant, new=True)

    def update(self, assistant_id: str, owner_id: str, request: UpdateAssistantRequest) -> Assistant:
        current = self.get_owned(assistant_id, owner_id)
        changes = request.model_dump(exclude_unset=True, by_alias=False)
        updated = Assistant.model_validate(
            current.model_copy(update={**changes, "updated_at": utc_timestamp()}).model_dump()
        )
        return self.put(updated)

    def delete(self, assistant_id: str, owner_id: str) -> None:
        """Delete the assistant and its shares (its documents are deleted by the documents service)."""
        self.get_owned(assistant_id, owner_id)
        for email in self.list_shares(assistant_id):
            self._delete_share(assistant_id, email)
        with translate_aws_errors("assistants: delete_item", on_condition_failed=AssistantNotFoundError):
            self._client.delete_item(
                TableName=self._table,
                Key=to_item({"PK": f"AST#{assistant_id}", "SK": _METADATA}),
                ConditionExpression="ownerId = :owner",
                ExpressionAttributeValues=to_item({":owner": owner_id}),
            )

    def list_owned(self, owner_id: str) -> list[Assistant]:
        items = self._query(OWNER_STATUS_INDEX, "GSI_PK", f"OWNER#{owner_id}")
        return [_assistant(item) for item in items]

    def _query(self, index: str | None, key: str, value: str, sk_prefix: str | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        condition = f"{key} = :value" + (" AND begins_with(SK, :prefix)" if sk_prefix else "")
        values: dict[str, Any] = {":value": value} | ({":prefix": sk_prefix} if sk_prefix else {})
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
        }
        if index:
            request["IndexName"] = index
        while True:
            with translate_aws_errors(f"assistants: query {index or 'table'}"):
                response = self._client.query(**request)
            items += response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return items
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # ------------------------------------------------------------------ shares

    def add_shares(self, assistant_id: str, emails: list[str]) -> list[str]:
        """Share with each email not yet shared with (an existing share keeps its state); return the new ones."""
        added = []
        for email in emails:
            item = {
                "PK": f"AST#{assistant_id}",
                "SK": f"SHARE#{email}",
                "GSI3_PK": f"SHARE#{email}",
                "GSI3_SK": f"AST#{assistant_id}",
                "assistantId": assistant_id,
                "email": email,
                "sharedAt": utc_timestamp(),
            }
            try:
                with translate_aws_errors("assistants: put_item (share)", on_condition_failed=_ExistingShareError):
                    self._client.put_item(
                        TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(PK)"
                    )
            except _ExistingShareError:
                # JUSTIFICATION: already shared with this email; sharing again keeps
                # the existing share and its interaction state, as the contract says.
                continue
            added.append(email)
        return added

    def _delete_share(self, assistant_id: str, email: str) -> None:
        with translate_aws_errors("assistants: delete_item (share)"):
            self._client.delete_item(
                TableName=self._table, Key=to_item({"PK": f"AST#{assistant_id}", "SK": f"SHARE#{email}"})
            )

    def remove_shares(self, assistant_id: str, emails: list[str]) -> None:
        for email in emails:
            self._delete_share(assistant_id, email)

    def list_shares(self, assistant_id: str) -> list[str]:
        items = self._query(None, "PK", f"AST#{assistant_id}", sk_prefix="SHARE#")
        return sorted(str(from_item(item)["email"]) for item in items)

    def share_of(self, assistant_id: str, email: str) -> dict[str, Any] | None:
        with translate_aws_errors("assistants: get_item (share)"):
            response = self._client.get_item(
                TableName=self._table,
                Key=to_item({"PK": f"AST#{assistant_id}", "SK": f"SHARE#{email.lower()}"}),
                ConsistentRead=True,
            )
        item = response.get("Item")
        return plain(from_item(item)) if item else None

    def mark_share_interacted(self, assistant_id: str, email: str) -> bool:
        """Set ``firstInteracted`` on the share; False when there is no share for ``email``."""
        try:
            with translate_aws_errors("assistants: update_item (share)", on_condition_failed=_NoShareError):
                self._client.update_item(
                    TableName=self._table,
                    Key=to_item({"PK": f"AST#{assistant_id}", "SK": f"SHARE#{email.lower()}"}),
                    UpdateExpression="SET firstInteracted = :yes",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeValues=to_item({":yes": True}),
                )
        except _NoShareError:
            # JUSTIFICATION: no share for this address is an answer (False), not a failure: the
            # caller reached the assistant some other way (owner, public).
            return False
        return True

    def shared_with(self, email: str) -> list[tuple[str, bool]]:
        """``(assistant id, first interacted)`` of every share for ``email``."""
        items = self._query(SHARED_WITH_INDEX, "GSI3_PK", f"SHARE#{email.lower()}")
        return [(str(v["assistantId"]), bool(v.get("firstInteracted", False))) for v in map(from_item, items)]


class _NoShareError(NotFoundError):
    """There is no share to mark."""


class _ExistingShareError(ConflictError):
    """The assistant is already shared with that email."""


def visible_to(assistant: Assistant, user_id: str, share: dict[str, Any] | None) -> bool:
    """PRIVATE: owner only; PUBLIC: anyone; SHARED: owner or a share for the user's email."""
    if assistant.owner_id == user_id or assistant.visibility is AssistantVisibility.PUBLIC:
        return True
    return assistant.visibility is AssistantVisibility.SHARED and share is not None
