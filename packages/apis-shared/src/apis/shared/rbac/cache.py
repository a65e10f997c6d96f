"""In-process caches in front of the app-roles table: user permissions, roles, JWT-role mappings."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apis.shared.caching import CacheStats, SharedVersion, TtlCache

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from apis.shared.caching import VersionStamp
    from apis.shared.rbac.models import AppRole, UserEffectivePermissions

__all__ = ["AppRoleCache", "AppRoleCacheStats"]


@dataclass(frozen=True)
class AppRoleCacheStats:
    users: CacheStats
    roles: CacheStats
    mappings: CacheStats


class AppRoleCache:
    """Three TTL layers; any role change clears the user layer, since any user may hold that role.

    With a ``stamp`` (the app-roles table's ``VersionStamp``) the layers follow it,
    checking it at most once per ``version_check_seconds``, and every invalidation
    increments it: a role changed through any process reaches every process's
    caches within that interval.
    """

    def __init__(
        self,
        *,
        user_ttl_seconds: float = 300.0,
        role_ttl_seconds: float = 600.0,
        mapping_ttl_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        stamp: VersionStamp | None = None,
        version_check_seconds: float = 1.0,
    ) -> None:
        self._stamp = stamp
        self._version = (
            SharedVersion(stamp.read, check_interval_seconds=version_check_seconds, clock=clock, name="app-roles")
            if stamp is not None
            else None
        )
        self.users: TtlCache[tuple[str, tuple[str, ...]], UserEffectivePermissions] = TtlCache(
            user_ttl_seconds, clock=clock, version=self._version
        )
        self.roles: TtlCache[str, AppRole] = TtlCache(role_ttl_seconds, clock=clock, version=self._version)
        self.mappings: TtlCache[str, tuple[str, ...]] = TtlCache(
            mapping_ttl_seconds, clock=clock, version=self._version
        )

    def invalidate_role(self, role_id: str) -> None:
        """Forget a role, every JWT mapping (it may have changed them) and every user's permissions."""
        self.invalidate_roles([role_id])

    def invalidate_roles(self, role_ids: Iterable[str]) -> None:
        """``invalidate_role`` for several roles changed together: here at once, elsewhere through one stamp."""
        for role_id in role_ids:
            self.roles.invalidate(role_id)
        self.mappings.clear()
        self.users.clear()
        self._announce()

    def invalidate_all(self) -> None:
        self.roles.clear()
        self.mappings.clear()
        self.users.clear()
        self._announce()

    def _announce(self) -> None:
        """Tell every other process (through the stamp); a failure propagates once this one's caches are clear."""
        if self._stamp is None or self._version is None:
            return
        self._stamp.bump()
        self._version.expire()

    def cleanup_expired(self) -> int:
        return self.users.cleanup_expired() + self.roles.cleanup_expired() + self.mappings.cleanup_expired()

    def stats(self) -> AppRoleCacheStats:
        return AppRoleCacheStats(users=self.users.stats(), roles=self.roles.stats(), mappings=self.mappings.stats())
