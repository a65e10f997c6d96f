"""Two inference-api replicas on one AWS endpoint: their quota and role caches follow the tables' version stamps.

An admin change (made here through the library calls app-api's admin routes make) is enforced by both within
the check interval, and in steady state the stamps cost each process one GetItem per table per interval,
whatever the number of requests.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from apis.inference_api.container import build_container
from apis.inference_api.main import create_app
from apis.shared.auth import AuthConfig, Authenticator, JwksCache
from apis.shared.caching import VersionStamp
from apis.shared.composition import AwsClients
from apis.shared.quota import (
    QuotaOverrideCreate,
    QuotaOverrideType,
    QuotaRepository,
)
from apis.shared.rbac import AppRoleAdminService, AppRoleCache, AppRoleCreate, AppRoleRepository, AppRoleUpdate
from tests.inference_api.conftest import ADA, MODEL_ID, SIGNING_KEY, chat, person
from tests.support.clock import ManualClock
from tests.support.quota import spent
from tests.support.sse import parse_sse
from tests.support.tokens import AUDIENCE, ISSUER, jwks

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apis.inference_api.settings import InferenceApiSettings

logger = logging.getLogger(__name__)
RESEARCHER = person("333333333", "rae@example.edu", "Researcher")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(5000.0)


@pytest.fixture
def replicas(settings: InferenceApiSettings, dynamodb: Any, s3: Any, managed_model: Any, quotas: Any,
             knowledge_base: Any, model: Any, clock: ManualClock) -> Iterator[list[TestClient]]:  # fmt: skip
    """Two processes' apps: their own containers and caches, one moto backend."""
    apps = []
    for _ in range(2):
        authenticator = Authenticator(AuthConfig(issuer=ISSUER, audiences=(AUDIENCE,), jwks_url="unused"),
                                      keys=JwksCache(lambda: jwks(SIGNING_KEY)))  # fmt: skip
        container = build_container(settings, clients=AwsClients(dynamodb=dynamodb, s3=s3),
                                    authenticator=authenticator, knowledge_base=knowledge_base,
                                    model_provider=model, cache_clock=clock)  # fmt: skip
        apps.append(create_app(settings, container=container))
    with TestClient(apps[0], raise_server_exceptions=False) as first, \
            TestClient(apps[1], raise_server_exceptions=False) as second:  # fmt: skip
        yield [first, second]


def turn(client: TestClient, headers: dict[str, str] = ADA) -> str:
    """How the turn ended: "answered", "quota_exceeded", or the error code of a refusal before the stream."""
    response = chat(client, headers, session_id=str(uuid.uuid4()))  # a session takes one turn at a time
    if response.status_code != 200:
        return f"{response.status_code} {response.json()['error']['code']}"
    events = [frame.event for frame in parse_sse(response.text)]
    return "quota_exceeded" if "quota_exceeded" in events else "answered"


def test_an_override_that_blocks_reaches_both_replicas_within_the_interval(
    replicas: list[TestClient], quotas: QuotaRepository, dynamodb: Any, clock: ManualClock
) -> None:
    spent(dynamodb, "111111111", "5.00")
    assert [turn(replica) for replica in replicas] == ["answered", "answered"]
    quotas.create_override(
        QuotaOverrideCreate(user_id="111111111", override_type=QuotaOverrideType.CUSTOM_LIMIT,
                            monthly_cost_limit=Decimal(1), valid_from="2020-01-01T00:00:00Z",
                            valid_until="2099-01-01T00:00:00Z", reason="blocked"),
        created_by="admin",
    )  # fmt: skip
    clock.now += 0.9
    assert [turn(replica) for replica in replicas] == ["answered", "answered"], "cached: within the interval"
    clock.now += 0.1
    assert [turn(replica) for replica in replicas] == ["quota_exceeded", "quota_exceeded"]


def test_an_app_role_change_reaches_both_replicas_within_the_interval(
    replicas: list[TestClient], dynamodb: Any, clock: ManualClock
) -> None:
    admin = AppRoleAdminService(AppRoleRepository(dynamodb, "app-roles"),
                                AppRoleCache(stamp=VersionStamp(dynamodb, "app-roles")))  # fmt: skip
    admin.create_role(AppRoleCreate(role_id="researchers", display_name="Researchers",
                                    jwt_role_mappings=["Researcher"], granted_models=[MODEL_ID]),
                      created_by="admin")  # fmt: skip
    clock.now += 1
    assert [turn(replica, RESEARCHER) for replica in replicas] == ["answered", "answered"]
    admin.update_role("researchers", AppRoleUpdate(granted_models=[]))
    clock.now += 0.9
    assert [turn(replica, RESEARCHER) for replica in replicas] == ["answered", "answered"]
    clock.now += 0.1
    assert [turn(replica, RESEARCHER) for replica in replicas] == ["403 forbidden", "403 forbidden"]


@contextmanager
def calls_by_kind(dynamodb: Any) -> Iterator[Counter[str]]:
    """DynamoDB calls by operation, the version stamps' reads apart ("stamp <table>")."""
    calls: Counter[str] = Counter()

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        body = json.loads(params.get("body") or b"{}")
        stamp = body.get("Key", {}).get("PK") == {"S": "CACHE_VERSION"}
        calls[f"stamp {body['TableName']}" if stamp else model.name] += 1

    dynamodb.meta.events.register("before-call.dynamodb", count)
    try:
        yield calls
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb", count)


def test_steady_state_costs_one_stamp_read_per_table_per_interval(
    replicas: list[TestClient], dynamodb: Any, clock: ManualClock
) -> None:
    first = replicas[0]
    per_turn = []
    for offset in (0.0, 0.3, 0.6, 0.99, 1.0, 1.5):
        clock.now = 5000 + offset
        with calls_by_kind(dynamodb) as calls:
            assert turn(first) == "answered"
        per_turn.append(calls)
    stamps = [{kind: count for kind, count in calls.items() if kind.startswith("stamp")} for calls in per_turn]
    both = {"stamp app-roles": 1, "stamp user-quotas": 1}
    assert stamps == [both, {}, {}, {}, both, {}]
    others = [calls - Counter(stamp) for calls, stamp in zip(per_turn, stamps, strict=True)]
    logger.info("DynamoDB calls of a cold turn %s, of a steady-state turn %s", dict(per_turn[0]), dict(others[1]))
    assert others[1] == others[2] == others[3] == others[5], "the stamps are all a turn adds"
    assert others[4] == others[1], "a turn that reads the stamps makes the same other calls"
