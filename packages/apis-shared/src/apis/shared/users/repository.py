"""DynamoDB access to user profiles. Every failure propagates as a typed error."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from apis.shared.aws import batch_get_all, from_item, to_item, translate_aws_errors
from apis.shared.errors import ConflictError, NotFoundError
from apis.shared.pagination import decode_cursor, encode_cursor
from apis.shared.timestamps import utc_timestamp
from apis.shared.users.models import UserProfile, UsersPage, UserStatus
from apis.shared.users.table import EMAIL_DOMAIN_INDEX, EMAIL_INDEX, STATUS_LOGIN_INDEX

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["UserNotFoundError", "UserRepository"]

_MAX_PAGE = 100
_PROFILE_ATTRIBUTES = (
    "userId",
    "email",
    "name",
    "roles",
    "picture",
    "emailDomain",
    "createdAt",
    "lastLoginAt",
    "status",
)


class UserNotFoundError(NotFoundError):
    """No profile for that user."""

    default_message = "User not found"


def _index_keys(profile: UserProfile) -> dict[str, str]:
    return {
        "GSI2PK": f"DOMAIN#{profile.email_domain}",
        "GSI2SK": profile.last_login_at,
        "GSI3PK": f"STATUS#{profile.status.value}",
        "GSI3SK": profile.last_login_at,
    }


def _to_item(profile: UserProfile) -> dict[str, Any]:
    values = {"PK": f"USER#{profile.user_id}", "SK": "PROFILE", **profile.model_dump(by_alias=True, mode="json")}
    return to_item({**values, **_index_keys(profile)})


def _to_profile(item: dict[str, Any]) -> UserProfile:
    values = from_item(item)
    return UserProfile.model_validate({key: values[key] for key in _PROFILE_ATTRIBUTES if key in values})


class UserRepository:
    """User profiles in one DynamoDB table (see ``USERS_TABLE``)."""

    def __init__(self, client: DynamoDBClient, table_name: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep

    @staticmethod
    def _key(user_id: str) -> dict[str, Any]:
        return to_item({"PK": f"USER#{user_id}", "SK": "PROFILE"})

    def get(self, user_id: str) -> UserProfile | None:
        """The profile of ``user_id``, or None if there is none."""
        with translate_aws_errors("users: get_item"):
            response = self._client.get_item(TableName=self._table, Key=self._key(user_id), ConsistentRead=True)
        item = response.get("Item")
        return _to_profile(item) if item else None

    def get_many(self, user_ids: Iterable[str]) -> dict[str, UserProfile]:
        """The profiles of ``user_ids`` by user id; users without a profile are left out.

        Strongly consistent ``BatchGetItem`` requests of up to 100 keys; keys
        DynamoDB leaves unprocessed are asked again after a short, growing pause.

        Raises:
            DependencyThrottledError: keys were still unprocessed after the last attempt, or DynamoDB throttled.
            DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed.
        """
        items = batch_get_all(
            self._client,
            self._table,
            [self._key(user_id) for user_id in dict.fromkeys(user_ids)],
            consistent=True,
            sleep=self._sleep,
            what="users: batch_get_item",
        )
        profiles: dict[str, UserProfile] = {}
        for item in items:
            profile = _to_profile(item)
            profiles[profile.user_id] = profile
        return profiles

    def get_or_raise(self, user_id: str) -> UserProfile:
        profile = self.get(user_id)
        if profile is None:
            raise UserNotFoundError(field="userId")
        return profile

    def get_by_email(self, email: str) -> UserProfile | None:
        """The profile with this email (case-insensitive), or None."""
        with translate_aws_errors("users: query EmailIndex"):
            response = self._client.query(
                TableName=self._table,
                IndexName=EMAIL_INDEX,
                KeyConditionExpression="email = :email",
                ExpressionAttributeValues=to_item({":email": email.lower()}),
                Limit=1,
            )
        items = response.get("Items", [])
        return _to_profile(items[0]) if items else None

    def create(self, profile: UserProfile) -> UserProfile:
        """Store a new profile; ``ConflictError`` if the user already has one."""
        with translate_aws_errors(
            "users: put_item (create)", on_condition_failed=lambda: ConflictError("User already exists")
        ):
            self._client.put_item(
                TableName=self._table, Item=_to_item(profile), ConditionExpression="attribute_not_exists(PK)"
            )
        return profile

    def update(self, profile: UserProfile) -> UserProfile:
        """Replace an existing profile; ``UserNotFoundError`` if there is none."""
        with translate_aws_errors("users: put_item (update)", on_condition_failed=UserNotFoundError):
            self._client.put_item(
                TableName=self._table, Item=_to_item(profile), ConditionExpression="attribute_exists(PK)"
            )
        return profile

    def upsert(self, profile: UserProfile) -> tuple[UserProfile, bool]:
        """Create or refresh a profile in one atomic update; return it and whether it is new.

        ``createdAt`` and ``status`` keep their stored values (a suspended user
        stays suspended when they log in again); everything else is replaced.
        """
        replaced = {
            "email": profile.email,
            "name": profile.name,
            "roles": profile.roles,
            "emailDomain": profile.email_domain,
            "lastLoginAt": profile.last_login_at,
            "userId": profile.user_id,
            "GSI2PK": f"DOMAIN#{profile.email_domain}",
            "GSI2SK": profile.last_login_at,
            "GSI3SK": profile.last_login_at,
        }
        kept = {
            "createdAt": profile.created_at,
            "status": profile.status.value,
            "GSI3PK": f"STATUS#{profile.status.value}",
        }
        if profile.picture is not None:
            replaced["picture"] = profile.picture
        # Every name is aliased: several (name, roles, status) are DynamoDB reserved words.
        names = {f"#{attribute}": attribute for attribute in [*replaced, *kept, "picture"]}
        assignments = [f"#{attribute} = :{attribute}" for attribute in replaced]
        assignments += [f"#{attribute} = if_not_exists(#{attribute}, :{attribute})" for attribute in kept]
        update = "SET " + ", ".join(assignments)
        if profile.picture is None:
            update += " REMOVE #picture"
        values = {f":{attribute}": value for attribute, value in {**replaced, **kept}.items()}
        with translate_aws_errors("users: update_item (upsert)"):
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(profile.user_id),
                UpdateExpression=update,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
                ReturnValues="ALL_NEW",
            )
        stored = _to_profile(response["Attributes"])
        return stored, stored.created_at == profile.created_at

    def set_status(self, user_id: str, status: UserStatus) -> UserProfile:
        """Change a user's status; ``UserNotFoundError`` if there is no profile."""
        with translate_aws_errors("users: update_item (status)", on_condition_failed=UserNotFoundError):
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(user_id),
                UpdateExpression="SET #status = :status, GSI3PK = :gsi3pk",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item({":status": status.value, ":gsi3pk": f"STATUS#{status.value}"}),
                ReturnValues="ALL_NEW",
            )
        return _to_profile(response["Attributes"])

    def list_by_domain(self, domain: str, *, limit: int = 25, cursor: str | None = None) -> UsersPage:
        """Users of an email domain, most recent login first."""
        return self._page(EMAIL_DOMAIN_INDEX, "GSI2PK", f"DOMAIN#{domain.lower()}", "GSI2SK", limit, cursor)

    def list_by_status(self, status: UserStatus, *, limit: int = 25, cursor: str | None = None) -> UsersPage:
        """Users with a status, most recent login first."""
        return self._page(STATUS_LOGIN_INDEX, "GSI3PK", f"STATUS#{status.value}", "GSI3SK", limit, cursor)

    def _page(
        self, index: str, hash_key: str, hash_value: str, range_key: str, limit: int, cursor: str | None
    ) -> UsersPage:
        # Bound to the listing's partition: a cursor of another domain or status is refused (400).
        start = decode_cursor(
            cursor, required_keys=frozenset({"PK", "SK", hash_key, range_key}), bound={hash_key: hash_value}
        )
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": f"{hash_key} = :value",
            "ExpressionAttributeValues": to_item({":value": hash_value}),
            "ScanIndexForward": False,
            "Limit": max(1, min(limit, _MAX_PAGE)),
        }
        if start is not None:
            request["ExclusiveStartKey"] = start
        with translate_aws_errors(f"users: query {index}"):
            response = self._client.query(**request)
        return UsersPage(
            users=[_to_profile(item) for item in response.get("Items", [])],
            next_cursor=encode_cursor(response.get("LastEvaluatedKey")),
        )


def new_profile_timestamp() -> str:
    """The timestamp format profiles use (ISO 8601, UTC, ``Z``)."""
    return utc_timestamp(timespec="auto")
