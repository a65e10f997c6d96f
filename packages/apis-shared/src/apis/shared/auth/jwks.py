"""The issuer's signing keys, cached, refreshed on an unknown ``kid`` at a bounded rate.

A token naming a key we do not have may mean the issuer rotated its keys, so
the set is fetched again, but at most once per ``min_refresh_interval``:
otherwise anyone could make every request fetch the JWKS by sending random
``kid`` values.
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
from apis.shared.errors import DependencyUnavailableError

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
    """Thread-safe cache of signing keys by ``kid``."""

    def __init__(
        self,
        fetch: Callable[[], dict[str, Any]],
        *,
        ttl_seconds: float = 3600.0,
        min_refresh_interval_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl_seconds
        self._min_refresh_interval = min_refresh_interval_seconds
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        self.fetch_count = 0

    def _refresh_locked(self) -> None:
        document = self._fetch()
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document["keys"]:
            if entry.get("use", "sig") != "sig" or "kid" not in entry or entry.get("kty") != "RSA":
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK.from_dict(entry)
            except (jwt.PyJWKError, jwt.InvalidKeyError):
                logger.warning("skipping an unusable key %r in the JWKS", entry.get("kid"))
        self._keys = keys
        self._fetched_at = self._clock()
        self.fetch_count += 1

    def get_key(self, kid: str) -> jwt.PyJWK:
        """The key for ``kid``; raises UnknownSigningKeyError if the issuer does not publish it."""
        with self._lock:
            now = self._clock()
            stale = self._fetched_at is None or now - self._fetched_at >= self._ttl
            may_refresh = self._fetched_at is None or now - self._fetched_at >= self._min_refresh_interval
            if stale or (kid not in self._keys and may_refresh):
                self._refresh_locked()
            key = self._keys.get(kid)
        if key is None:
            raise UnknownSigningKeyError()
        return key
