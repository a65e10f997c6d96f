"""``GET /users/search``: exact email first, then name or email fragments of active users."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apis.shared.users import UserProfile, UserRepository
from tests.app_api.conftest import bearer
from tests.support.faults import FAULTS, inject_fault

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def test_user_search(client: TestClient, dynamodb) -> None:
    users = UserRepository(dynamodb, "users")
    for user_id, name, email in (("1", "Ada Lovelace", "ada@example.edu"), ("2", "Grace Hopper", "grace@navy.mil"),
                                 ("3", "Alan Turing", "alan@example.edu")):  # fmt: skip
        users.create(UserProfile(user_id=user_id, email=email, name=name, email_domain=email.split("@")[1],
                                 created_at="2026-01-01", last_login_at=f"2026-01-0{user_id}"))  # fmt: skip
    exact = client.get("/users/search", params={"q": "grace@navy.mil"}, headers=bearer()).json()
    assert exact == {"users": [{"userId": "2", "email": "grace@navy.mil", "name": "Grace Hopper"}]}
    fragment = client.get("/users/search", params={"q": "example"}, headers=bearer()).json()
    assert {u["userId"] for u in fragment["users"]} == {"1", "3"}
    assert len(client.get("/users/search", params={"q": "a", "limit": 5}, headers=bearer()).json()["error"]) > 0
    limited = client.get("/users/search", params={"q": "example", "limit": 1}, headers=bearer()).json()
    assert len(limited["users"]) == 1
    with inject_fault(dynamodb, "Query", FAULTS[0]):
        assert client.get("/users/search", params={"q": "example"}, headers=bearer()).status_code == 503
