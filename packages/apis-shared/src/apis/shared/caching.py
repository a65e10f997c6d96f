"""In-process caches of stored data, and how every replica's caches learn of a change within seconds.

``TtlCache`` keeps entries for a while. Alone, a change made through one process
reaches the others only when their entries expire. A ``SharedVersion`` closes the
gap: it is this process's view of a counter that every write of the cached data
increments (a ``VersionStamp``: one item in the data's own DynamoDB table). A cache
given one asks for the counter at most once per ``check_interval_seconds`` (one
read, shared by every request of that window) and drops its entries when it moved.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from apis.shared.aws import from_item, to_item, translate_aws_errors
from apis.shared.errors import ApisError, DependencyTimeoutError, DependencyUnavailableError
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["CACHE_VERSION_ITEM", "CacheStats", "SharedVersion", "TtlCache", "VersionStamp"]

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# The key (partition and sort) of the stamp item in a table whose items are keyed ``PK``/``SK``.
CACHE_VERSION_ITEM = "CACHE_VERSION"


class VersionStamp:
    """The change counter of the cached data of one DynamoDB table: one item, ``PK = SK = "CACHE_VERSION"``.

    Every write of that data increments it (``bump``, or ``bump_action`` inside the
    write's own transaction, so that the two cannot part); every process reads it
    (``read``: one consistent ``GetItem`` of a few bytes). The item carries none of
    the table's index attributes, so no index, query or scan for data finds it.
    """

    def __init__(
        self, client: DynamoDBClient, table_name: str, *, partition_key: str = "PK", sort_key: str = "SK"
    ) -> None:
        self._client = client
        self._table = table_name
        self._key = to_item({partition_key: CACHE_VERSION_ITEM, sort_key: CACHE_VERSION_ITEM})

    def read(self) -> int:
        """The counter (0 before the first change). Failures raise the dependency errors."""
        with translate_aws_errors(f"{self._table}: get_item (cache version)"):
            response = self._client.get_item(
                TableName=self._table,
                Key=self._key,
                ConsistentRead=True,
                ProjectionExpression="#version",
                ExpressionAttributeNames={"#version": "version"},
            )
        values = from_item(response.get("Item") or {})
        return int(values.get("version", 0))

    def bump(self) -> None:
        """Increment the counter (atomically: concurrent bumps all count)."""
        with translate_aws_errors(f"{self._table}: update_item (cache version)"):
            self._client.update_item(**self._increment())

    def bump_action(self) -> dict[str, Any]:
        """The same increment as one action of a ``transact_write_items`` call."""
        return {"Update": self._increment()}

    def _increment(self) -> dict[str, Any]:
        changed_at = utc_timestamp(timespec="auto")
        return {
            "TableName": self._table,
            "Key": self._key,
            "UpdateExpression": "ADD #version :one SET #changedAt = :now",
            "ExpressionAttributeNames": {"#version": "version", "#changedAt": "changedAt"},
            "ExpressionAttributeValues": to_item({":one": 1, ":now": changed_at}),
        }


class SharedVersion:
    """This process's view of a version counter that every replica shares (e.g. a ``VersionStamp``).

    ``generation()`` is a local number that grows whenever the counter is seen to
    move; a cache compares it with the generation its entries were loaded under.
    The counter is read at most once per ``check_interval_seconds``: concurrent
    callers wait for that one read rather than each making their own. So a change
    committed at time T is seen by every process that asks after T plus the
    interval (plus the read's own duration).

    After a change, the generation moves once more ``settle_seconds`` later: DynamoDB's
    global secondary indexes follow the table with a short delay, so an entry loaded
    from an index right after the change may predate it; that second move drops it.

    When the counter cannot be read (DynamoDB unavailable or too slow), the version
    is unknown: until a read succeeds every call returns a new generation, so the
    caches serve nothing and store nothing, and each request reads the data itself
    (and fails closed, with the dependency error, if that read fails too). A read is
    retried once per interval, and each failure is logged once.
    """

    def __init__(
        self,
        read: Callable[[], int],
        *,
        check_interval_seconds: float = 1.0,
        settle_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        name: str = "cache",
    ) -> None:
        self._read = read
        self._interval = check_interval_seconds
        self._settle = settle_seconds
        self._clock = clock
        self._name = name
        self._lock = threading.Lock()
        self._version: int | None = None
        self._known = False
        self._generation = 0
        self._next_read = -math.inf
        self._settle_at: float | None = None

    def generation(self) -> int:
        """The local generation, after reading the shared counter if the interval has passed."""
        with self._lock:
            now = self._clock()
            if self._settle_at is not None and now >= self._settle_at:
                self._settle_at = None
                self._generation += 1
            if now < self._next_read:
                if not self._known:
                    self._generation += 1
                return self._generation
            self._next_read = now + self._interval
            try:
                version = self._read()
            except (DependencyUnavailableError, DependencyTimeoutError) as error:
                # JUSTIFICATION: the caches are an optimisation. Without the counter they
                # are bypassed (never stale), and every request reads the data itself,
                # failing closed if that read fails as well. Logged once per interval.
                self._forget()
                logger.warning("%s version could not be read (%s); its caches are bypassed", self._name, error)
                return self._generation
            except ApisError:
                self._forget()
                raise
            if not self._known or version != self._version:
                if self._version is not None and version != self._version:
                    self._settle_at = now + self._settle
                self._generation += 1
            self._version, self._known = version, True
            return self._generation

    def expire(self) -> None:
        """Read the counter at the next call (this process has just changed it)."""
        with self._lock:
            self._next_read = -math.inf

    def _forget(self) -> None:
        self._known = False
        self._generation += 1


@dataclass(frozen=True)
class CacheStats:
    size: int
    hits: int
    misses: int
    ttl_seconds: float


class TtlCache(Generic[K, V]):
    """Entries expire ``ttl_seconds`` after they were set; the oldest go first beyond ``max_entries``.

    With a ``version``, every call first checks it (see ``SharedVersion``) and drops
    every entry when it moved. A value loaded while the cache was cleared (by a
    change, ``clear`` or ``invalidate``) is not stored: it may predate the change.
    """

    def __init__(
        self,
        ttl_seconds: float,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        version: SharedVersion | None = None,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._version = version
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        self._seen_generation = 0
        self._epoch = 0

    def _shared_generation(self) -> int:
        # Outside the cache's lock: it may read the shared counter.
        return self._version.generation() if self._version is not None else 0

    def _advance(self, generation: int) -> None:
        """Drop every entry if the shared version moved since the last call. Call with the lock held."""
        if generation > self._seen_generation:
            self._seen_generation = generation
            self._drop_all()

    def _drop_all(self) -> None:
        self._entries.clear()
        self._epoch += 1

    def epoch(self) -> int:
        """A number that changes whenever the cache is cleared; pass it to ``set`` to store only if none was."""
        generation = self._shared_generation()
        with self._lock:
            self._advance(generation)
            return self._epoch

    def get(self, key: K) -> V | None:
        return self._lookup(key)[0]

    def _lookup(self, key: K) -> tuple[V | None, int]:
        generation = self._shared_generation()
        with self._lock:
            self._advance(generation)
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self._clock():
                if entry is not None:
                    del self._entries[key]
                self._misses += 1
                return None, self._epoch
            self._hits += 1
            return entry[1], self._epoch

    def set(self, key: K, value: V, *, epoch: int | None = None) -> None:
        """Store ``value``; with ``epoch`` (from ``epoch()``), only if the cache was not cleared since."""
        generation = self._shared_generation()
        with self._lock:
            self._advance(generation)
            if epoch is not None and epoch != self._epoch:
                return
            self._entries[key] = (self._clock() + self._ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        """The cached value, or ``load()``'s (cached unless the cache was cleared meanwhile; a raising ``load``
        caches nothing)."""
        cached, epoch = self._lookup(key)
        if cached is not None:
            return cached
        value = load()
        self.set(key, value, epoch=epoch)
        return value

    def invalidate(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)
            # A load of this key that began before now must not store what it read.
            self._epoch += 1

    def clear(self) -> None:
        with self._lock:
            self._drop_all()

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
