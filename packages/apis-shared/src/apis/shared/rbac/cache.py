"""In-process caches in front of the app-roles table: user permissions, roles, JWT-role mappings."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apis.shared.caching import CacheStats, TtlCache

if TYPE_CHECKING:
    from collections.abc import Callable

    from apis.shared.rbac.models import AppRole, UserEffectivePermissions

__all__ = ["AppRoleCache", "AppRoleCacheStats"]


@dataclass(frozen=True)
class AppRoleCacheStats:
    users: CacheStats
    roles: CacheStats
    mappings: CacheStats


class AppRoleCache:
    """Three TTL layers; any role change clears the user layer, since any user may hold that role."""

    def __init__(
        self,
        *,
        user_ttl_seconds: float = 300.0,
        role_ttl_seconds: float = 600.0,
        mapping_ttl_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.users: TtlCache[tuple[str, tuple[str, ...]], UserEffectivePermissions] = TtlCache(
            user_ttl_seconds, clock=clock
        )
        self.roles: TtlCache[str, AppRole] = TtlCache(role_ttl_seconds, clock=clock)
        self.mappings: TtlCache[str, tuple[str, ...]] = TtlCache(mapping_ttl_seconds, clock=clock)

    def invalidate_role(self, role_id: str) -> None:
        """Forget a role, every JWT mapping (it may have changed them) and every user's permissions."""
        self.roles.invalidate(role_id)
        self.mappings.clear()
        self.users.clear()

    def invalidate_all(self) -> None:
        self.roles.clear()
        self.mappings.clear()
        self.users.clear()

    def cleanup_expired(self) -> int:
        return self.users.cleanup_expired() + self.roles.cleanup_expired() + self.mappings.cleanup_expired()

    def stats(self) -> AppRoleCacheStats:
        return AppRoleCacheStats(users=self.users.stats(), roles=self.roles.stats(), mappings=self.mappings.stats())
