"""The local OIDC issuer of the dev stack: its signing key, its people, and tokens for them.

    scripts/dev token [--admin] [--user ID] [--email E] [--name N]

The services verify these tokens exactly as they verify the identity
provider's (RS256 against the issuer's JWKS, issuer and audience checked);
only the key is local. The key lives in ``.local/dev`` and never leaves the
machine. The process that serves the JWKS is a whole OIDC provider for the web
client's sign-in (``devtools.oidc_provider``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devtools.proc import BackgroundServer
from devtools.web_client import web_client

if TYPE_CHECKING:
    from pathlib import Path

    from devtools.config import Config

__all__ = [
    "DEV_AUDIENCE",
    "DEV_USERS",
    "EMPLOYEE_NUMBER_CLAIM",
    "DevUser",
    "access_token",
    "environment_for",
    "issue_token",
    "issuer_port",
    "issuer_server",
    "issuer_url",
    "jwks",
    "private_key",
    "sign",
    "start_issuer",
    "user_claims",
    "valid_user_id",
]

DEV_AUDIENCE = "api://apis-platform-dev"
EMPLOYEE_NUMBER_CLAIM = "http://schemas.boisestate.edu/claims/employeenumber"
DEV_USER_ID = "100000001"
DEV_ADMIN_ID = "100000002"
SECOND_USER_ID = "100000003"
# "Developer" sees the seeded model; the admin pages want an admin role, and the
# role pages a system administrator (APP_API_ADMIN_JWT_ROLES defaults to this one).
USER_ROLES = ["Developer"]
ADMIN_ROLES = ["Developer", "Admin", "DotNetDevelopers"]
TOKEN_LIFETIME_SECONDS = 8 * 3600
KID = "apis-dev"


@dataclass(frozen=True)
class DevUser:
    """A person of the local issuer."""

    user_id: str
    name: str
    email: str
    roles: tuple[str, ...]


# The people of the sign-in page; a second ordinary user makes sharing testable.
DEV_USERS: tuple[DevUser, ...] = (
    DevUser(DEV_USER_ID, "Dev User", f"dev.{DEV_USER_ID}@example.edu", tuple(USER_ROLES)),
    DevUser(DEV_ADMIN_ID, "Dev Admin", f"admin.{DEV_ADMIN_ID}@example.edu", tuple(ADMIN_ROLES)),
    DevUser(SECOND_USER_ID, "Second User", f"second.{SECOND_USER_ID}@example.edu", tuple(USER_ROLES)),
)


def valid_user_id(user_id: str) -> bool:
    """Whether the services would accept ``user_id`` (their ``AuthConfig.user_id_pattern``, a full match)."""
    from apis.shared.auth import AuthConfig

    pattern = next(field.default for field in dataclasses.fields(AuthConfig) if field.name == "user_id_pattern")
    return pattern is None or re.fullmatch(str(pattern), user_id) is not None


def issuer_port() -> int:
    return int(os.environ.get("APIS_ISSUER_PORT", "8090"))


def issuer_url() -> str:
    return f"http://127.0.0.1:{issuer_port()}"


def _key_file(config: Config) -> Path:
    return config.local_dir / "dev" / "issuer-key.pem"


def private_key(config: Config) -> Any:
    """The issuer's RSA key, generated once into ``.local/dev`` (0600)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = _key_file(config)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def jwks(key: Any) -> dict[str, Any]:
    import jwt

    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}


def sign(key: Any, claims: dict[str, Any]) -> str:
    import jwt

    return str(jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID}))


def user_claims(user: DevUser) -> dict[str, Any]:
    """Who the person is, in the claims the services and the web client read (client contract §2)."""
    given_name, _, family_name = user.name.partition(" ")
    claims: dict[str, Any] = {
        "sub": f"dev-{user.user_id}",
        EMPLOYEE_NUMBER_CLAIM: user.user_id,
        "email": user.email,
        # The local provider is the authority on its users' addresses; shares match only vouched-for emails.
        "email_verified": True,
        "preferred_username": user.email,
        "name": user.name,
        "given_name": given_name,
        "roles": list(user.roles),
    }
    if family_name:
        claims["family_name"] = family_name
    return claims


def access_token(key: Any, user: DevUser, *, lifetime_seconds: int) -> str:
    """A signed access token for the services, shaped like the identity provider's."""
    now = int(time.time())
    claims = {
        "iss": issuer_url(),
        "aud": DEV_AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_seconds,
        "jti": uuid.uuid4().hex,
        **user_claims(user),
    }
    return sign(key, claims)


def issue_token(
    config: Config, *, admin: bool = False, user_id: str | None = None, email: str | None = None,
    name: str | None = None,
) -> str:  # fmt: skip
    """An access token for curl and scripts (8 hours)."""
    user_id = user_id or (DEV_ADMIN_ID if admin else DEV_USER_ID)
    user = DevUser(
        user_id=user_id,
        name=name or ("Dev Admin" if admin else "Dev User"),
        email=email or (f"admin.{user_id}@example.edu" if admin else f"dev.{user_id}@example.edu"),
        roles=tuple(ADMIN_ROLES if admin else USER_ROLES),
    )
    return access_token(private_key(config), user, lifetime_seconds=TOKEN_LIFETIME_SECONDS)


def issuer_server(config: Config) -> BackgroundServer:
    return BackgroundServer("issuer", config.run_dir, config.log_dir, f"{issuer_url()}/.well-known/jwks.json")


def start_issuer(config: Config) -> bool:
    """Serve the OIDC provider unless it already runs; return whether this call started it."""
    server = issuer_server(config)
    if server.pid() is not None and server.is_ready():
        return False
    private_key(config)
    web_client(config)
    env = {"PYTHONPATH": str(config.root / "scripts"), "APIS_REPO_ROOT": str(config.root)}
    server.start([sys.executable, "-m", "devtools.oidc_provider"], env=env, timeout=30.0)
    return True


def environment_for(prefix: str) -> dict[str, str]:
    """The variables that make a service verify the local issuer's tokens."""
    return {
        f"{prefix}AUTH_MODE": "verify",
        f"{prefix}AUTH_ISSUER": issuer_url(),
        f"{prefix}AUTH_AUDIENCES": json.dumps([DEV_AUDIENCE]),
        f"{prefix}AUTH_JWKS_URL": f"{issuer_url()}/.well-known/jwks.json",
    }
