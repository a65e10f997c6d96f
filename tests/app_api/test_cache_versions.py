"""Two app-api replicas on one AWS endpoint: an admin change made through replica 1 reaches replica 2's quota and
role caches within the version-check interval (its caches still serve the old state inside it)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from apis.app_api.container import build_container
from apis.app_api.main import create_app
from apis.shared.auth import AuthConfig, Authenticator, JwksCache
from apis.shared.catalog import ManagedModelCreate, ManagedModelRepository, ManagedModelService, ProviderKind
from apis.shared.composition import AwsClients
from tests.app_api.conftest import SIGNING_KEY, person
from tests.support.clock import ManualClock
from tests.support.tokens import AUDIENCE, ISSUER, jwks

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apis.app_api.settings import AppApiSettings

SYSTEM_ADMIN = person("900000001", "root@example.edu", "DotNetDevelopers")
RESEARCHER = person("333333333", "rae@example.edu", "Researcher")
MODEL_ID = "us.amazon.nova-pro-v1:0"
QUOTA_OF_ADA = "/admin/quota/users/111111111?roles=Faculty"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(5000.0)


@pytest.fixture
def replicas(settings: AppApiSettings, dynamodb: Any, s3: Any, knowledge_base: Any, model: Any,
             clock: ManualClock) -> Iterator[tuple[TestClient, TestClient]]:  # fmt: skip
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
        created = first.post("/admin/quota/tiers", headers=SYSTEM_ADMIN,
                             json={"tierId": "tier_basic", "tierName": "Basic", "monthlyCostLimit": 10})  # fmt: skip
        assigned = first.post("/admin/quota/assignments", headers=SYSTEM_ADMIN,
                              json={"tierId": "tier_basic", "assignmentType": "default_tier"})  # fmt: skip
        assert (created.status_code, assigned.status_code) == (201, 201)
        yield first, second


def quota_of_ada(replica: TestClient) -> tuple[str, float]:
    info = replica.get(QUOTA_OF_ADA, headers=SYSTEM_ADMIN).json()
    return info["matchedBy"], info["quotaLimit"]


def test_an_override_reaches_the_other_replica_within_the_interval(
    replicas: tuple[TestClient, TestClient], clock: ManualClock
) -> None:
    first, second = replicas
    assert quota_of_ada(second) == ("default_tier", 10)
    created = first.post("/admin/quota/overrides", headers=SYSTEM_ADMIN, json={
        "userId": "111111111", "overrideType": "custom_limit", "monthlyCostLimit": 1, "reason": "blocked",
        "validFrom": "2020-01-01T00:00:00Z", "validUntil": "2099-01-01T00:00:00Z",
    })  # fmt: skip
    assert created.status_code == 201
    assert quota_of_ada(first) == ("override", 1), "the replica that made the change: at once"
    clock.now += 0.9
    assert quota_of_ada(second) == ("default_tier", 10), "the other: its cache, within the interval"
    clock.now += 0.1
    assert quota_of_ada(second) == ("override", 1)


def test_a_tier_change_reaches_the_other_replica_within_the_interval(
    replicas: tuple[TestClient, TestClient], clock: ManualClock
) -> None:
    first, second = replicas
    assert quota_of_ada(second) == ("default_tier", 10)
    changed = first.patch("/admin/quota/tiers/tier_basic", headers=SYSTEM_ADMIN, json={"monthlyCostLimit": 2})
    assert changed.status_code == 200
    clock.now += 0.9
    assert quota_of_ada(second) == ("default_tier", 10)
    clock.now += 0.1
    assert quota_of_ada(second) == ("default_tier", 2)


def test_an_app_role_change_reaches_the_other_replica_within_the_interval(
    replicas: tuple[TestClient, TestClient], dynamodb: Any, clock: ManualClock
) -> None:
    first, second = replicas
    ManagedModelService(ManagedModelRepository(dynamodb, "managed-models")).create(ManagedModelCreate(
        model_id=MODEL_ID, model_name="Nova Pro", provider=ProviderKind.BEDROCK, provider_name="Amazon",
        input_modalities=["TEXT"], output_modalities=["TEXT"], max_input_tokens=300_000, max_output_tokens=4096,
        input_price_per_million_tokens=Decimal(1), output_price_per_million_tokens=Decimal(4),
    ))  # fmt: skip
    created = first.post("/admin/roles/", headers=SYSTEM_ADMIN, json={
        "roleId": "researchers", "displayName": "Researchers", "jwtRoleMappings": ["Researcher"],
        "grantedModels": [MODEL_ID],
    })  # fmt: skip
    assert created.status_code == 201

    def listed(replica: TestClient) -> list[str]:
        return [model["modelId"] for model in replica.get("/models", headers=RESEARCHER).json()["models"]]

    clock.now += 1
    assert listed(second) == [MODEL_ID]
    patched = first.patch("/admin/roles/researchers", headers=SYSTEM_ADMIN, json={"grantedModels": []})
    assert patched.status_code == 200
    assert listed(first) == []
    clock.now += 0.9
    assert listed(second) == [MODEL_ID]
    clock.now += 0.1
    assert listed(second) == []


def test_emptying_the_role_caches_empties_the_other_replicas(
    replicas: tuple[TestClient, TestClient], clock: ManualClock
) -> None:
    first, second = replicas

    def user_misses() -> int:
        second.get("/models", headers=RESEARCHER)
        return int(second.get("/admin/roles/cache/stats", headers=SYSTEM_ADMIN).json()["users"]["misses"])

    misses = user_misses()
    assert user_misses() == misses, "cached"
    assert first.post("/admin/roles/cache/invalidate", json={}, headers=SYSTEM_ADMIN).status_code == 200
    clock.now += 1
    assert user_misses() == misses + 1
