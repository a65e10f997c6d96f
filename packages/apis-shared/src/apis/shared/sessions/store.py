"""DynamoDB storage of sessions and their messages (see ``sessions.table`` for the layout).

Every change of a session is one transaction over its item and its listing
copy, guarded by the session's ``version``; appending a message adds the
message, bumps ``messageCount`` and moves the listing copy in that same
transaction, so a count never disagrees with the stored messages. A
transaction that lost a race is retried from a fresh read.

A chat turn holds the session's turn lease (``SK = TURN#<sessionId>``) from
before it stores the question until it has stored the answer: ``begin_turn``
is a conditional put that fails while another turn's lease is live, so turns
of one session never interleave. A lease expires (``expiresAt``, epoch
seconds) unless its turn renews it, so a process that dies mid-turn blocks
the session only until then.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from typing import TYPE_CHECKING, Any

from apis.shared.aws import DependencyThrottledError, from_item, plain, to_item, translate_aws_errors
from apis.shared.errors import ConflictError, NotFoundError
from apis.shared.pagination import InvalidCursorError, decode_cursor, encode_cursor
from apis.shared.sessions.models import (
    Message,
    MessageContent,
    MessageMetadata,
    MessageResponse,
    SessionMetadata,
    SessionStatus,
)
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "MessagePage",
    "SessionNotFoundError",
    "SessionPage",
    "SessionStore",
    "TurnInProgressError",
]

logger = logging.getLogger(__name__)

_ATTEMPTS = 10
_MAX_PAGE = 1000
_PAGE_KEYS = frozenset({"PK", "SK"})
_INTERNAL = frozenset({"PK", "SK", "GSI_PK", "GSI_SK", "version", "kind"})


class SessionNotFoundError(NotFoundError):
    """No such session for this user (another user's session is 'not found' too)."""

    default_message = "Session not found"


class _VersionConflictError(ConflictError):
    """The session changed between our read and our write."""


class TurnInProgressError(ConflictError):
    """Another turn of this session is still being answered (409)."""

    default_message = "A reply is still being written in this conversation; wait for it to finish"


class _TurnLeaseLostError(ConflictError):
    """The lease is no longer this turn's."""


class SessionPage:
    def __init__(self, sessions: list[SessionMetadata], next_token: str | None) -> None:
        self.sessions = sessions
        self.next_token = next_token


class MessagePage:
    def __init__(self, messages: list[MessageResponse], next_token: str | None) -> None:
        self.messages = messages
        self.next_token = next_token


def _listing_sk(metadata: SessionMetadata) -> str:
    if metadata.status is SessionStatus.DELETED:
        return f"S#DELETED#{metadata.deleted_at or metadata.last_message_at}#{metadata.session_id}"
    return f"S#ACTIVE#{metadata.last_message_at}#{metadata.session_id}"


def _start_key(next_token: str | None, user_id: str, prefix: str) -> dict[str, Any] | None:
    """Decode a page token, refusing one that points outside this user's listing (400)."""
    start = decode_cursor(next_token, required_keys=_PAGE_KEYS, field="next_token")
    if start is not None and (start["PK"]["S"] != f"USER#{user_id}" or not start["SK"]["S"].startswith(prefix)):
        raise InvalidCursorError(field="next_token")
    return start


def _fields(metadata: SessionMetadata) -> dict[str, Any]:
    return metadata.model_dump(by_alias=True, mode="json", exclude_none=True)


def _metadata(values: dict[str, Any]) -> SessionMetadata:
    return SessionMetadata.model_validate(plain({k: v for k, v in values.items() if k not in _INTERNAL}))


class SessionStore:
    """Sessions and messages of the sessions-metadata table. Failures propagate as typed errors."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep
        self._clock = clock

    # ------------------------------------------------------------------ reads

    def _read(self, session_id: str, user_id: str) -> tuple[SessionMetadata, int] | None:
        with translate_aws_errors("sessions: get_item"):
            response = self._client.get_item(
                TableName=self._table,
                Key=to_item({"PK": f"USER#{user_id}", "SK": f"SESSION#{session_id}"}),
                ConsistentRead=True,
            )
        item = response.get("Item")
        if not item:
            return None
        values = from_item(item)
        return _metadata(values), int(values.get("version", 0))

    def get(self, session_id: str, user_id: str) -> SessionMetadata | None:
        """The user's session (deleted ones included), or None."""
        found = self._read(session_id, user_id)
        return found[0] if found else None

    def get_or_raise(self, session_id: str, user_id: str, *, include_deleted: bool = False) -> SessionMetadata:
        metadata = self.get(session_id, user_id)
        if metadata is None or (metadata.status is SessionStatus.DELETED and not include_deleted):
            raise SessionNotFoundError(field="sessionId")
        return metadata

    def list_sessions(self, user_id: str, *, limit: int = 50, next_token: str | None = None) -> SessionPage:
        """The user's active and archived sessions, most recent message first."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :user AND begins_with(SK, :active)",
            "ExpressionAttributeValues": to_item({":user": f"USER#{user_id}", ":active": "S#ACTIVE#"}),
            "ScanIndexForward": False,
            "Limit": max(1, min(limit, _MAX_PAGE)),
        }
        start = _start_key(next_token, user_id, "S#ACTIVE#")
        if start is not None:
            request["ExclusiveStartKey"] = start
        with translate_aws_errors("sessions: query (list)"):
            response = self._client.query(**request)
        sessions = [_metadata(from_item(item)) for item in response.get("Items", [])]
        return SessionPage(sessions, encode_cursor(response.get("LastEvaluatedKey")))

    def list_messages(
        self, session_id: str, user_id: str, *, limit: int = 100, next_token: str | None = None
    ) -> MessagePage:
        """The session's messages in order; ``SessionNotFoundError`` for an unknown or foreign session."""
        self.get_or_raise(session_id, user_id)
        prefix = f"M#{session_id}#"
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :user AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": to_item({":user": f"USER#{user_id}", ":prefix": prefix}),
            "ScanIndexForward": True,
            "Limit": max(1, min(limit, _MAX_PAGE)),
        }
        start = _start_key(next_token, user_id, prefix)
        if start is not None:
            request["ExclusiveStartKey"] = start
        with translate_aws_errors("sessions: query (messages)"):
            response = self._client.query(**request)
        messages = [self._message(from_item(item)) for item in response.get("Items", [])]
        return MessagePage(messages, encode_cursor(response.get("LastEvaluatedKey")))

    def recent_messages(self, session_id: str, user_id: str, *, limit: int) -> list[MessageResponse]:
        """The session's last ``limit`` messages, oldest first, read newest-first so a long session costs
        no more than a short one. Only the user's own messages are read; an unknown session has none."""
        wanted = max(0, min(limit, _MAX_PAGE))
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :user AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": to_item({":user": f"USER#{user_id}", ":prefix": f"M#{session_id}#"}),
            "ScanIndexForward": False,
        }
        items: list[dict[str, Any]] = []
        while len(items) < wanted:
            request["Limit"] = wanted - len(items)
            with translate_aws_errors("sessions: query (recent messages)"):
                response = self._client.query(**request)
            items += response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return [self._message(from_item(item)) for item in reversed(items)]

    @staticmethod
    def _message(values: dict[str, Any]) -> MessageResponse:
        data = plain(values)
        metadata = MessageMetadata.model_validate(data["metadata"]) if data.get("metadata") else None
        citations = metadata.citations if metadata else None
        if metadata is not None and citations:
            metadata = metadata.model_copy(update={"citations": None})
        return MessageResponse(
            id=f"msg-{data['sessionId']}-{data['index']}",
            role=data["role"],
            content=[MessageContent.model_validate(block) for block in data.get("content", [])],
            created_at=data["createdAt"],
            metadata=metadata,
            citations=citations,
        )

    # ------------------------------------------------------------------ writes

    def create(self, metadata: SessionMetadata) -> SessionMetadata:
        """Store a new session; ``ConflictError`` if the id is taken for this user."""
        canonical = {
            "PK": f"USER#{metadata.user_id}",
            "SK": f"SESSION#{metadata.session_id}",
            "GSI_PK": f"SESSION#{metadata.session_id}",
            "GSI_SK": "META",
            "version": 1,
            **_fields(metadata),
        }
        listing = {
            "PK": f"USER#{metadata.user_id}",
            "SK": _listing_sk(metadata),
            "kind": "listing",
            **_fields(metadata),
        }
        writes: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(canonical),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {"Put": {"TableName": self._table, "Item": to_item(listing)}},
        ]
        with translate_aws_errors(
            "sessions: transact_write_items (create)",
            on_condition_failed=lambda: ConflictError("Session already exists"),
        ):
            self._client.transact_write_items(TransactItems=writes)
        return metadata

    def update(
        self,
        session_id: str,
        user_id: str,
        change: Callable[[SessionMetadata], SessionMetadata],
        *,
        extra_writes: Callable[[SessionMetadata, SessionMetadata], list[Any]] | None = None,
    ) -> SessionMetadata:
        """Apply ``change`` to the stored session atomically, retrying if someone else changed it meanwhile."""
        for attempt in range(1, _ATTEMPTS + 1):
            found = self._read(session_id, user_id)
            if found is None:
                raise SessionNotFoundError(field="sessionId")
            current, version = found
            updated = change(current)
            writes = self._session_writes(current, updated, version)
            if extra_writes is not None:
                writes += extra_writes(current, updated)
            try:
                with translate_aws_errors(
                    "sessions: transact_write_items (update)", on_condition_failed=_VersionConflictError
                ):
                    self._client.transact_write_items(TransactItems=writes)
            except (_VersionConflictError, DependencyThrottledError):
                if attempt == _ATTEMPTS:
                    raise
                self._sleep(random.uniform(0.005, 0.02) * attempt)
            else:
                return updated
        raise ConflictError("The session kept changing; try again")  # pragma: no cover

    def _session_writes(self, current: SessionMetadata, updated: SessionMetadata, version: int) -> list[Any]:
        key_prefix = {"PK": f"USER#{updated.user_id}"}
        canonical = {
            **key_prefix,
            "SK": f"SESSION#{updated.session_id}",
            "GSI_PK": f"SESSION#{updated.session_id}",
            "GSI_SK": "META",
            "version": version + 1,
            **_fields(updated),
        }
        writes: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(canonical),
                    "ConditionExpression": "version = :version",
                    "ExpressionAttributeValues": to_item({":version": version}),
                }
            }
        ]
        old_sk, new_sk = _listing_sk(current), _listing_sk(updated)
        if old_sk != new_sk:
            writes.append({"Delete": {"TableName": self._table, "Key": to_item({**key_prefix, "SK": old_sk})}})
        listing = {**key_prefix, "SK": new_sk, "kind": "listing", **_fields(updated)}
        writes.append({"Put": {"TableName": self._table, "Item": to_item(listing)}})
        return writes

    def append_message(self, session_id: str, user_id: str, message: Message) -> int:
        """Store ``message`` as the session's next one; return its 0-based index."""
        timestamp = message.timestamp or utc_timestamp()
        index: dict[str, int] = {}

        def change(current: SessionMetadata) -> SessionMetadata:
            index["value"] = current.message_count
            return current.model_copy(
                update={
                    "message_count": current.message_count + 1,
                    "last_message_at": max(timestamp, current.last_message_at),
                }
            )

        def message_write(current: SessionMetadata, updated: SessionMetadata) -> list[Any]:
            item = {
                "PK": f"USER#{user_id}",
                "SK": f"M#{session_id}#{index['value']:08d}",
                "sessionId": session_id,
                "userId": user_id,
                "index": index["value"],
                "role": message.role,
                "content": [
                    block.model_dump(by_alias=True, mode="json", exclude_none=True) for block in message.content
                ],
                "createdAt": timestamp,
                "metadata": message.metadata.model_dump(by_alias=True, mode="json", exclude_none=True)
                if message.metadata
                else None,
            }
            return [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(item),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
            ]

        self.update(session_id, user_id, change, extra_writes=message_write)
        return index["value"]

    # ------------------------------------------------------------------ turn leases

    def _turn_key(self, session_id: str, user_id: str) -> dict[str, Any]:
        return to_item({"PK": f"USER#{user_id}", "SK": f"TURN#{session_id}"})

    def begin_turn(self, session_id: str, user_id: str, *, lease_seconds: float) -> str:
        """Take the session's turn lease for ``lease_seconds``; return the turn's id.

        Raises:
            TurnInProgressError: another turn holds a live lease (409).
            DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed.
        """
        turn_id = uuid.uuid4().hex
        now = self._clock()
        item = {
            "PK": f"USER#{user_id}",
            "SK": f"TURN#{session_id}",
            "turnId": turn_id,
            "expiresAt": int(now + lease_seconds),
            # DynamoDB's TTL (where the table has it on "ttl") removes leases left behind.
            "ttl": int(now + lease_seconds) + 86_400,
        }
        with translate_aws_errors("sessions: put_item (begin turn)", on_condition_failed=TurnInProgressError):
            self._client.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(PK) OR expiresAt <= :now",
                ExpressionAttributeValues=to_item({":now": int(now)}),
            )
        return turn_id

    def renew_turn(self, session_id: str, user_id: str, turn_id: str, *, lease_seconds: float) -> bool:
        """Extend this turn's lease; False when it is no longer this turn's (it expired and was taken)."""
        until = int(self._clock() + lease_seconds)
        try:
            with translate_aws_errors("sessions: update_item (renew turn)", on_condition_failed=_TurnLeaseLostError):
                self._client.update_item(
                    TableName=self._table,
                    Key=self._turn_key(session_id, user_id),
                    UpdateExpression="SET expiresAt = :until, #ttl = :ttl",
                    ConditionExpression="turnId = :turn",
                    ExpressionAttributeNames={"#ttl": "ttl"},
                    ExpressionAttributeValues=to_item({":until": until, ":ttl": until + 86_400, ":turn": turn_id}),
                )
        except _TurnLeaseLostError:
            # JUSTIFICATION: a lease that expired and passed to another turn is that turn's
            # now; the caller learns it from the False and carries on without it.
            return False
        return True

    def end_turn(self, session_id: str, user_id: str, turn_id: str) -> None:
        """Give the lease back; a lease that is no longer this turn's is left to its holder."""
        try:
            with translate_aws_errors("sessions: delete_item (end turn)", on_condition_failed=_TurnLeaseLostError):
                self._client.delete_item(
                    TableName=self._table,
                    Key=self._turn_key(session_id, user_id),
                    ConditionExpression="turnId = :turn",
                    ExpressionAttributeValues=to_item({":turn": turn_id}),
                )
        except _TurnLeaseLostError:
            # JUSTIFICATION: the lease expired and another turn holds it now; deleting it
            # would let a third turn in beside that one.
            logger.warning("the turn lease of session %s had passed to another turn", session_id)

    def soft_delete(self, session_id: str, user_id: str) -> SessionMetadata:
        """Mark the session deleted (its listing copy moves to ``S#DELETED#``); 404 if already gone."""
        self.get_or_raise(session_id, user_id)
        deleted_at = utc_timestamp()
        return self.update(
            session_id,
            user_id,
            lambda current: current.model_copy(
                update={"status": SessionStatus.DELETED, "deleted": True, "deleted_at": deleted_at}
            ),
        )
