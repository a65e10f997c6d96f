from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest

from apis.shared.aws import client_config
from tests.support.aws import REGION, dynamodb_client, mocked_aws, serial_moto_server

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A DynamoDB client against moto (in-process), made inside the mock."""
    with mocked_aws(monkeypatch):
        yield dynamodb_client()


@pytest.fixture
def serial_dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A DynamoDB client against a moto server on loopback that serializes requests."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with serial_moto_server() as url:
        yield boto3.client(
            "dynamodb", region_name=REGION, endpoint_url=url, config=client_config(max_pool_connections=16)
        )
