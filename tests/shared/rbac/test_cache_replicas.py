"""Two processes' AppRole caches on one table: a role changed through either reaches the other within the
version-check interval; the changing process announces it through the table's version stamp."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from apis.shared.auth import User
from apis.shared.caching import VersionStamp
from apis.shared.rbac import (
    AppRoleAdminService,
    AppRoleCache,
    AppRoleCreate,
    AppRoleRepository,
    AppRoleService,
    AppRoleUpdate,
)
from tests.support.calls import STAMP_READ, counted_calls
from tests.support.clock import ManualClock
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault

if TYPE_CHECKING:
    from collections.abc import Callable

FACULTY = User("111111111", "f@example.edu", "F", roles=("Faculty",))


class Replica:
    """One process: its own caches (following the stamp), services and admin service."""

    def __init__(self, dynamodb: Any, clock: ManualClock) -> None:
        repository = AppRoleRepository(dynamodb, "app-roles")
        self.cache = AppRoleCache(clock=clock, stamp=VersionStamp(dynamodb, "app-roles"), version_check_seconds=1.0)
        self.service = AppRoleService(repository, self.cache)
        self.admin = AppRoleAdminService(repository, self.cache)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def replicas(repository: AppRoleRepository, dynamodb: Any, clock: ManualClock) -> tuple[Replica, Replica]:
    first = Replica(dynamodb, clock)
    first.admin.create_role(
        AppRoleCreate(role_id="faculty_users", display_name="Faculty", jwt_role_mappings=["Faculty"],
                      granted_models=["m1"]),
        created_by="admin",
    )  # fmt: skip
    return first, Replica(dynamodb, clock)


def models(replica: Replica) -> list[str]:
    return replica.service.resolve_user_permissions(FACULTY).models


CHANGES: dict[str, tuple[Callable[[AppRoleAdminService], Any], list[str]]] = {
    "a grant changed": (lambda admin: admin.update_role("faculty_users", AppRoleUpdate(granted_models=["m2"])),
                        ["m2"]),
    "a role disabled": (lambda admin: admin.update_role("faculty_users", AppRoleUpdate(enabled=False)), []),
    "a role deleted": (lambda admin: admin.delete_role("faculty_users"), []),
    "a role added": (
        lambda admin: admin.create_role(AppRoleCreate(role_id="researchers", display_name="R",
                                                      jwt_role_mappings=["Faculty"], granted_models=["m3"]),
                                        created_by="admin"),
        ["m1", "m3"],
    ),
    "a parent changed": (
        lambda admin: (
            admin.create_role(AppRoleCreate(role_id="base", display_name="Base", granted_models=["m0"]),
                              created_by="admin"),
            admin.update_role("faculty_users", AppRoleUpdate(inherits_from=["base"])),
            admin.update_role("base", AppRoleUpdate(granted_models=["m9"])),
        ),
        ["m1", "m9"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_role_change_through_one_process_reaches_the_other_within_the_interval(
    replicas: tuple[Replica, Replica], clock: ManualClock, change: str
) -> None:
    first, second = replicas
    write, expected = CHANGES[change]
    assert models(first) == models(second) == ["m1"]
    write(first.admin)
    assert models(first) == expected, "the changing process at once"
    clock.now += 0.9
    assert models(second) == ["m1"], "the interval is what another process may lag"
    clock.now += 0.1
    assert models(second) == expected


def test_steady_state_costs_one_get_item_per_interval(
    replicas: tuple[Replica, Replica], dynamodb: Any, clock: ManualClock
) -> None:
    _, second = replicas
    models(second)
    with counted_calls(dynamodb) as calls:
        for offset in (0.1, 0.5, 0.99):
            clock.now = 1000 + offset
            assert models(second) == ["m1"]
    assert calls == Counter()
    with counted_calls(dynamodb) as calls:
        for offset in (1.0, 1.5):
            clock.now = 1000 + offset
            assert models(second) == ["m1"]
    assert calls == Counter({STAMP_READ: 1})


def test_emptying_the_caches_empties_every_process(
    replicas: tuple[Replica, Replica], dynamodb: Any, clock: ManualClock
) -> None:
    first, second = replicas
    models(second)
    first.cache.invalidate_all()
    clock.now += 1
    with counted_calls(dynamodb) as calls:
        assert models(second) == ["m1"]
    assert calls == Counter({STAMP_READ: 1, "GetItem": 1, "Query": 1}), "the stamp, then the mapping and the role again"


def test_one_change_is_one_stamp_increment(replicas: tuple[Replica, Replica], dynamodb: Any) -> None:
    first, _ = replicas
    stamp = VersionStamp(dynamodb, "app-roles")
    before = stamp.read()
    first.admin.create_role(AppRoleCreate(role_id="child", display_name="C", inherits_from=["faculty_users"]),
                            created_by="admin")  # fmt: skip
    first.admin.update_role("faculty_users", AppRoleUpdate(granted_models=["m2"]))
    assert first.admin.get_role("child").effective_permissions.models == ["m2"]
    assert stamp.read() == before + 2, "the update and its dependent's refresh: one increment"
    assert [role.role_id for role in first.admin.list_roles()] == ["child", "faculty_users"], "the stamp is no role"


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_a_failed_announcement_is_an_error_after_this_process_forgot_the_role(
    replicas: tuple[Replica, Replica], dynamodb: Any, fault: Fault
) -> None:
    first, _ = replicas
    assert models(first) == ["m1"]
    # The role is written in a transaction; UpdateItem is the stamp's increment only.
    with inject_fault(dynamodb, "UpdateItem", fault) as failed, pytest.raises(fault.error) as raised:
        first.admin.update_role("faculty_users", AppRoleUpdate(granted_models=["m2"]))
    assert failed == ["UpdateItem"]
    assert_fault(raised.value, fault)
    assert models(first) == ["m2"]


def test_a_cache_without_a_stamp_stays_local(repository: AppRoleRepository, dynamodb: Any) -> None:
    admin = AppRoleAdminService(repository, AppRoleCache())
    with counted_calls(dynamodb) as calls:
        admin.create_role(AppRoleCreate(role_id="local", display_name="L"), created_by="admin")
    assert "UpdateItem" not in calls
    assert VersionStamp(dynamodb, "app-roles").read() == 0
