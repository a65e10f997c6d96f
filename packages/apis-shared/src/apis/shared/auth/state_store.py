"""Single-use OIDC login state (``state`` → PKCE verifier, nonce, redirect), with expiry.

A state can be consumed once: the DynamoDB store takes and deletes it in one
conditional ``DeleteItem``, so two concurrent callbacks with the same state
cannot both succeed. A storage failure raises (login fails closed with a 503),
it does not pass for an unknown state.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apis.shared.aws import TableDefinition, from_item, to_item, translate_aws_errors
from apis.shared.errors import NotFoundError

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["OIDC_STATE_TABLE", "DynamoDBStateStore", "OIDCStateData", "StateStore"]

DEFAULT_TTL_SECONDS = 600

OIDC_STATE_TABLE = TableDefinition(ttl_attribute="expiresAt")


class _UnknownStateError(NotFoundError):
    """The state was never stored, or was already consumed."""


@dataclass(frozen=True)
class OIDCStateData:
    """What the login callback needs back."""

    redirect_uri: str | None = None
    code_verifier: str | None = None
    nonce: str | None = None


class StateStore(ABC):
    """Stores login states, each usable once."""

    @abstractmethod
    def store_state(self, state: str, data: OIDCStateData, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        """Keep ``data`` under ``state`` for ``ttl_seconds``."""

    @abstractmethod
    def get_and_delete_state(self, state: str) -> tuple[bool, OIDCStateData | None]:
        """Consume ``state``: ``(True, data)`` once, then ``(False, None)``; also ``(False, None)`` when expired.

        Raises
        ------
        DependencyUnavailableError
            The store could not be read (never reported as an unknown state).
        """


class DynamoDBStateStore(StateStore):
    """States in DynamoDB: ``PK = SK = STATE#<state>``, TTL attribute ``expiresAt`` (epoch seconds)."""

    def __init__(self, client: DynamoDBClient, table_name: str, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock

    @staticmethod
    def _key(state: str) -> dict[str, Any]:
        return to_item({"PK": f"STATE#{state}", "SK": f"STATE#{state}"})

    def store_state(self, state: str, data: OIDCStateData, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        now = self._clock()
        item = {
            "PK": f"STATE#{state}",
            "SK": f"STATE#{state}",
            "state": state,
            "expiresAt": int(now + ttl_seconds),
            "createdAt": datetime.fromtimestamp(now, tz=UTC).isoformat(),
            "redirectUri": data.redirect_uri,
            "codeVerifier": data.code_verifier,
            "nonce": data.nonce,
        }
        with translate_aws_errors("oidc-state: put_item"):
            self._client.put_item(TableName=self._table, Item=to_item(item))

    def get_and_delete_state(self, state: str) -> tuple[bool, OIDCStateData | None]:
        try:
            with translate_aws_errors("oidc-state: delete_item", on_condition_failed=_UnknownStateError):
                response = self._client.delete_item(
                    TableName=self._table,
                    Key=self._key(state),
                    ConditionExpression="attribute_exists(PK)",
                    ReturnValues="ALL_OLD",
                )
        except _UnknownStateError:
            # JUSTIFICATION: an unknown or already consumed state is the caller's answer (False), not a failure.
            return False, None
        item = from_item(response.get("Attributes", {}))
        if int(item.get("expiresAt", 0)) <= self._clock():
            # DynamoDB's TTL sweep lags by hours; an expired state is refused here.
            return False, None
        # States written by the system this one replaced name the attributes in snake_case.
        return True, OIDCStateData(
            redirect_uri=item.get("redirectUri") or item.get("redirect_uri"),
            code_verifier=item.get("codeVerifier") or item.get("code_verifier"),
            nonce=item.get("nonce"),
        )
