"""The issuer's signing keys, cached, refreshed on an unknown ``kid`` at a bounded rate.

A token naming a key we do not have may mean the issuer rotated its keys, so
the set is fetched again, but at most once per ``min_refresh_interval``:
otherwise anyone could make every request fetch the JWKS by sending random
``kid`` values.

When the keys are due for a refresh and the identity provider cannot be
reached, the keys fetched last stay in use for ``stale_grace_seconds`` more
(they were valid an hour ago and keys rotate over days or weeks; Microsoft's
identity libraries keep a "last known good" configuration the same way);
after that, requests are 503. One thread fetches at a time, outside the lock:
while it waits on a slow provider, requests whose key is still usable go on
with it, and only those with nothing to check against wait for the fetch.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

import jwt

from apis.shared.auth.exceptions import UnknownSigningKeyError
from apis.shared.errors import DependencyTimeoutError, DependencyUnavailableError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["JwksCache", "fetch_jwks"]

logger = logging.getLogger(__name__)


def fetch_jwks(url: str, *, timeout: float = 5.0) -> dict[str, Any]:
    """GET a JWKS document; an unreachable or broken issuer is a 503, not a 401."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DependencyUnavailableError(
            "The identity provider's signing keys are unavailable", detail=f"JWKS {url}: HTTP {exc.code}"
        ) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise DependencyUnavailableError(
            "The identity provider's signing keys are unavailable", detail=f"JWKS {url}: {exc}"
        ) from exc
    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        raise DependencyUnavailableError(
            "The identity provider's signing keys are unavailable", detail=f"JWKS {url}: not JSON"
        ) from exc
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise DependencyUnavailableError("The identity provider's signing keys are unavailable", detail="bad JWKS")
    return document


class JwksCache:
    """Thread-safe cache of signing keys by ``kid``, with a bounded stale-while-error grace."""

    def __init__(
        self,
        fetch: Callable[[], dict[str, Any]],
        *,
        ttl_seconds: float = 3600.0,
        min_refresh_interval_seconds: float = 60.0,
        stale_grace_seconds: float = 3600.0,
        failure_retry_seconds: float = 10.0,
        wait_timeout_seconds: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min(ttl_seconds, min_refresh_interval_seconds, stale_grace_seconds, failure_retry_seconds) < 0:
            raise ValueError("JWKS cache intervals cannot be negative")
        self._fetch = fetch
        self._ttl = ttl_seconds
        self._min_refresh_interval = min_refresh_interval_seconds
        self._stale_grace = stale_grace_seconds
        self._failure_retry = failure_retry_seconds
        self._wait_timeout = wait_timeout_seconds
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._failure: DependencyUnavailableError | None = None
        self._fetching = False
        self._lock = threading.Lock()
        self._fetch_done = threading.Condition(self._lock)
        self.fetch_count = 0

    @staticmethod
    def _parse(document: dict[str, Any]) -> dict[str, jwt.PyJWK]:
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document["keys"]:
            if entry.get("use", "sig") != "sig" or "kid" not in entry or entry.get("kty") != "RSA":
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK.from_dict(entry)
            except (jwt.PyJWKError, jwt.InvalidKeyError):
                # JUSTIFICATION: one malformed key (an EC curve we do not use, bad base64) must not
                # cost the issuer's other keys; it is logged, and a token naming it is a 401.
                logger.warning("skipping an unusable key %r in the JWKS", entry.get("kid"))
        return keys

    def _fetch_due(self, kid: str, now: float) -> bool:
        """Whether a request for ``kid`` should fetch the keys now (caller holds the lock)."""
        if self._attempted_at is None:
            return True
        since_attempt = now - self._attempted_at
        if self._failure is not None and since_attempt < self._failure_retry:
            return False
        stale = self._fetched_at is None or now - self._fetched_at >= self._ttl
        return stale or (kid not in self._keys and since_attempt >= self._min_refresh_interval)

    def _usable(self, now: float) -> bool:
        return self._fetched_at is not None and now - self._fetched_at < self._ttl + self._stale_grace

    def _unavailable(self) -> DependencyUnavailableError:
        failure = self._failure
        if failure is None:
            return DependencyUnavailableError("The identity provider's signing keys are unavailable")
        return DependencyUnavailableError(failure.message, detail=failure.detail)

    def _answer(self, kid: str, now: float) -> jwt.PyJWK:
        """The key for ``kid`` from what the cache holds, with no fetch (caller holds the lock)."""
        if not self._usable(now):
            raise self._unavailable()
        key = self._keys.get(kid)
        if key is not None:
            return key
        if self._failure is not None and self._fetched_at is not None and now - self._fetched_at >= self._ttl:
            # Stale keys and an unreachable issuer: the key may be one we could not fetch.
            raise self._unavailable()
        raise UnknownSigningKeyError()

    def get_key(self, kid: str) -> jwt.PyJWK:
        """The key for ``kid``; UnknownSigningKeyError (401) if the issuer does not publish it, 503 if unreachable."""
        with self._lock:
            while True:
                now = self._clock()
                fresh = self._fetched_at is not None and now - self._fetched_at < self._ttl
                if fresh and kid in self._keys:
                    return self._keys[kid]
                if not self._fetch_due(kid, now):
                    return self._answer(kid, now)
                if not self._fetching:
                    self._fetching = True
                    break
                if kid in self._keys and self._usable(now):
                    return self._keys[kid]
                if not self._fetch_done.wait_for(lambda: not self._fetching, timeout=self._wait_timeout):
                    raise DependencyTimeoutError(
                        "The identity provider's signing keys are unavailable", detail="waited for a JWKS fetch"
                    )
        return self._refresh(kid)

    def _refresh(self, kid: str) -> jwt.PyJWK:
        """Fetch the keys (this thread alone, without the lock), store the outcome, answer for ``kid``."""
        try:
            document = self._fetch()
            keys = self._parse(document)
        except DependencyUnavailableError as failure:
            with self._lock:
                self._fetching = False
                now = self._clock()
                self._attempted_at, self._failure = now, failure
                self._fetch_done.notify_all()
                if self._usable(now):
                    logger.warning(
                        "JWKS refresh failed (%s); using the keys fetched %.0f s ago for at most %.0f s more",
                        failure.detail or failure.message,
                        now - (self._fetched_at or now),
                        self._ttl + self._stale_grace - (now - (self._fetched_at or now)),
                    )
                    return self._answer(kid, now)
            raise
        except BaseException:
            with self._lock:
                self._fetching = False
                self._fetch_done.notify_all()
            raise
        with self._lock:
            now = self._clock()
            self._keys, self._fetched_at, self._attempted_at, self._failure = keys, now, now, None
            self.fetch_count += 1
            self._fetching = False
            self._fetch_done.notify_all()
            key = self._keys.get(kid)
        if key is None:
            raise UnknownSigningKeyError()
        return key
