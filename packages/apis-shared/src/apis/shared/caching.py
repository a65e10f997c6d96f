"""A small thread-safe TTL cache with hit/miss counters, for in-process caches of stored data."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["CacheStats", "TtlCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()


@dataclass(frozen=True)
class CacheStats:
    size: int
    hits: int
    misses: int
    ttl_seconds: float


class TtlCache(Generic[K, V]):
    """Entries expire ``ttl_seconds`` after they were set; the oldest go first beyond ``max_entries``."""

    def __init__(
        self, ttl_seconds: float, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def get(self, key: K) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self._clock():
                if entry is not None:
                    del self._entries[key]
                self._misses += 1
                return None
            self._hits += 1
            return entry[1]

    def set(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + self._ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        """The cached value, or ``load()``'s (cached; a raising ``load`` caches nothing)."""
        cached = self.get(key)
        if cached is not None:
            return cached
        value = load()
        self.set(key, value)
        return value

    def invalidate(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def cleanup_expired(self) -> int:
        """Drop expired entries now; return how many."""
        with self._lock:
            now = self._clock()
            expired = [key for key, (expires_at, _) in self._entries.items() if expires_at <= now]
            for key in expired:
                del self._entries[key]
            return len(expired)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(size=len(self._entries), hits=self._hits, misses=self._misses, ttl_seconds=self._ttl)
