"""The one object a service builds to authenticate requests, whatever the mode."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from apis.shared.auth.config import AuthConfig, AuthMode
from apis.shared.auth.exceptions import TokenMissingError
from apis.shared.auth.jwks import JwksCache, fetch_jwks
from apis.shared.auth.jwt_validator import JwtValidator
from apis.shared.auth.models import User

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["DEVELOPMENT_USER", "Authenticator"]

logger = logging.getLogger(__name__)

_MAX_REMEMBERED_USERS = 10_000

DEVELOPMENT_USER = User(
    user_id="000000000",
    email="developer@localhost",
    name="Local Developer",
    roles=("Developer",),
    verified_email="developer@localhost",
)


class Authenticator:
    """Authenticate bearer tokens and, optionally, tell someone about each user (user sync).

    ``on_authenticated`` runs in the background, at most once per user per
    ``notify_interval_seconds``; its failures are logged, never raised, since
    a sync must not decide whether a request is allowed.
    """

    def __init__(
        self,
        config: AuthConfig,
        *,
        keys: JwksCache | None = None,
        on_authenticated: Callable[[User], None] | None = None,
        notify_interval_seconds: float = 300.0,
    ) -> None:
        self.config = config
        if config.mode is AuthMode.VERIFY and keys is None:
            keys = JwksCache(
                lambda: fetch_jwks(config.jwks_url),
                ttl_seconds=config.jwks_ttl_seconds,
                stale_grace_seconds=config.jwks_stale_grace_seconds,
            )
        self._validator = None if config.mode is AuthMode.DISABLED else JwtValidator(config, keys)
        self._on_authenticated = on_authenticated
        self._notify_interval = notify_interval_seconds
        self._last_notified: dict[str, float] = {}
        self._notify_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="user-sync") if on_authenticated else None

    def authenticate(self, token: str | None) -> User:
        """Return the caller; raise an ``AuthenticationError`` (401) or ``PermissionDeniedError`` (403)."""
        if self._validator is None:
            return DEVELOPMENT_USER
        if not token:
            raise TokenMissingError()
        user = self._validator.validate(token)
        self._notify(user)
        return user

    def _notify(self, user: User) -> None:
        if self._executor is None or self._on_authenticated is None:
            return
        now = time.monotonic()
        with self._notify_lock:
            if len(self._last_notified) > _MAX_REMEMBERED_USERS:
                cutoff = now - self._notify_interval
                self._last_notified = {uid: at for uid, at in self._last_notified.items() if at >= cutoff}
            last = self._last_notified.get(user.user_id)
            if last is not None and now - last < self._notify_interval:
                return
            self._last_notified[user.user_id] = now
        self._executor.submit(self._run_notification, self._on_authenticated, user)

    @staticmethod
    def _run_notification(callback: Callable[[User], None], user: User) -> None:
        try:
            callback(user)
        except Exception:
            # JUSTIFICATION: the user-profile sync is fire-and-forget bookkeeping
            # after authentication succeeded; its failure (logged with traceback)
            # must not fail or slow the request it rode on.
            logger.exception("background user sync failed for user %s", user.user_id)

    def close(self) -> None:
        """Wait for pending notifications (call at shutdown)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
