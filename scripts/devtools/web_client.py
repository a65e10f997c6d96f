"""The one client registered with the local OIDC provider: app-api signing people in for the web client.

Its secret is generated once into ``.local/dev`` (0600, git-ignored like the
issuer's key) and reaches app-api through its environment; it is never printed.
The web client's origins are the Angular dev server's, plus any listed in
``APIS_WEB_ORIGINS`` (comma-separated, e.g. ``http://localhost:4300``).
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from devtools.errors import CommandError

if TYPE_CHECKING:
    from pathlib import Path

    from devtools.config import Config

__all__ = [
    "CALLBACK_PATH",
    "DEFAULT_WEB_ORIGINS",
    "WEB_CLIENT_ID",
    "WebClient",
    "app_api_oidc_environment",
    "web_client",
    "web_origins",
]

WEB_CLIENT_ID = "apis-web-dev"
DEFAULT_WEB_ORIGINS = ("http://localhost:4200", "http://127.0.0.1:4200")
CALLBACK_PATH = "/auth/callback"
WEB_ORIGINS_VARIABLE = "APIS_WEB_ORIGINS"


@dataclass(frozen=True)
class WebClient:
    """A confidential client and the addresses it may send people back to."""

    client_id: str
    secret: str
    origins: tuple[str, ...]

    @property
    def redirect_uris(self) -> tuple[str, ...]:
        return tuple(f"{origin}{CALLBACK_PATH}" for origin in self.origins)

    @property
    def post_logout_redirect_uris(self) -> tuple[str, ...]:
        return self.origins

    def allows_post_logout_redirect(self, uri: str) -> bool:
        """An origin of the client, with or without a trailing slash."""
        return uri in self.origins or (uri.endswith("/") and uri[:-1] in self.origins)


def web_origins() -> tuple[str, ...]:
    """The default origins and those of ``APIS_WEB_ORIGINS``; refuses an entry that is not an origin."""
    extra = [entry.strip().removesuffix("/") for entry in os.environ.get(WEB_ORIGINS_VARIABLE, "").split(",")]
    for origin in filter(None, extra):
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query or parts.fragment:
            raise CommandError(f"{WEB_ORIGINS_VARIABLE}: {origin!r} is not an origin like http://localhost:4300")
    return tuple(dict.fromkeys([*DEFAULT_WEB_ORIGINS, *filter(None, extra)]))


def _secret_file(config: Config) -> Path:
    return config.local_dir / "dev" / "web-client-secret"


def _client_secret(config: Config) -> str:
    """The secret in the file; a new one when the file is missing or blank, never the empty string."""
    path = _secret_file(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "r+") as handle:
        # Processes starting together agree on one secret: each reads what the one before it wrote.
        fcntl.flock(handle, fcntl.LOCK_EX)
        secret = handle.read().strip()
        if secret:
            return secret
        # Blank (an interrupted write, a truncated file) is as good as missing: an empty secret
        # would let anyone who sends an empty one act as the client.
        secret = secrets.token_urlsafe(32)
        os.fchmod(handle.fileno(), 0o600)
        handle.seek(0)
        handle.truncate()
        handle.write(secret + "\n")
    return secret


def web_client(config: Config) -> WebClient:
    """The registered client, its secret created on first use."""
    return WebClient(WEB_CLIENT_ID, _client_secret(config), web_origins())


def app_api_oidc_environment(config: Config, issuer: str) -> dict[str, str]:
    """What app-api needs to run the sign-in flow against the local provider."""
    client = web_client(config)
    return {
        "APP_API_OIDC_ISSUER": issuer,
        "APP_API_OIDC_CLIENT_ID": client.client_id,
        "APP_API_OIDC_CLIENT_SECRET": client.secret,
        "APP_API_OIDC_REDIRECT_URI": client.redirect_uris[0],
        "APP_API_OIDC_ALLOWED_REDIRECT_URIS": json.dumps(list(client.redirect_uris)),
        "APP_API_OIDC_POST_LOGOUT_REDIRECT_URIS": json.dumps(list(client.post_logout_redirect_uris)),
    }
