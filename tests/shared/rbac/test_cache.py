from __future__ import annotations

from apis.shared.caching import TtlCache
from apis.shared.rbac import AppRoleCache
from tests.shared.rbac.conftest import role
from tests.support.clock import ManualClock


def test_entries_expire_and_count_hits_and_misses() -> None:
    clock = ManualClock(0.0)
    cache: TtlCache[str, int] = TtlCache(10, clock=clock)
    assert cache.get("a") is None
    cache.set("a", 1)
    assert cache.get("a") == 1
    clock.now = 11
    assert cache.get("a") is None
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.size, stats.ttl_seconds) == (1, 2, 0, 10)


def test_oldest_entries_go_first_beyond_the_limit() -> None:
    cache: TtlCache[int, int] = TtlCache(60, max_entries=3)
    for key in range(5):
        cache.set(key, key)
    assert [cache.get(key) for key in range(5)] == [None, None, 2, 3, 4]


def test_get_or_load_caches_values_and_cleanup_drops_expired() -> None:
    clock = ManualClock(0.0)
    cache: TtlCache[str, int] = TtlCache(5, clock=clock)
    loads = []
    assert cache.get_or_load("k", lambda: loads.append(1) or 42) == 42
    assert cache.get_or_load("k", lambda: loads.append(1) or 43) == 42
    assert loads == [1]
    cache.set("other", 1)
    clock.now = 6
    assert cache.cleanup_expired() == 2
    cache.set("x", 1)
    cache.invalidate("x")
    assert cache.get("x") is None


def test_a_role_change_clears_users_and_mappings() -> None:
    cache = AppRoleCache()
    cache.roles.set("faculty_users", role())
    cache.mappings.set("Faculty", ("faculty_users",))
    cache.users.set(("1", ("Faculty",)), object())  # type: ignore[arg-type]
    cache.invalidate_role("faculty_users")
    stats = cache.stats()
    assert (stats.users.size, stats.roles.size, stats.mappings.size) == (0, 0, 0)
    cache.roles.set("a_role", role("a_role"))
    cache.invalidate_all()
    assert cache.stats().roles.size == 0
    assert cache.cleanup_expired() == 0
