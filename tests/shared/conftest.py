from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.support.aws import dynamodb_client, mocked_aws

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A DynamoDB client against moto (in-process), made inside the mock."""
    with mocked_aws(monkeypatch):
        yield dynamodb_client()
