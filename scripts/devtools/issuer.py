"""The local OIDC issuer of the dev stack: a signing key, its JWKS on loopback, and tokens for people.

    scripts/dev token [--admin] [--user ID] [--email E] [--name N]

The services verify these tokens exactly as they verify the identity
provider's (RS256 against the issuer's JWKS, issuer and audience checked);
only the key is local. The key lives in ``.local/dev`` and never leaves the
machine.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from devtools.proc import BackgroundServer

if TYPE_CHECKING:
    from pathlib import Path

    from devtools.config import Config

__all__ = [
    "DEV_AUDIENCE",
    "EMPLOYEE_NUMBER_CLAIM",
    "issue_token",
    "issuer_port",
    "issuer_server",
    "issuer_url",
    "start_issuer",
]

DEV_AUDIENCE = "api://apis-platform-dev"
EMPLOYEE_NUMBER_CLAIM = "http://schemas.boisestate.edu/claims/employeenumber"
DEV_USER_ID = "100000001"
DEV_ADMIN_ID = "100000002"
# "Developer" sees the seeded model; the admin pages want an admin role, and the
# role pages a system administrator (APP_API_ADMIN_JWT_ROLES defaults to this one).
USER_ROLES = ["Developer"]
ADMIN_ROLES = ["Developer", "Admin", "DotNetDevelopers"]
TOKEN_LIFETIME_SECONDS = 8 * 3600
_KID = "apis-dev"


def issuer_port() -> int:
    return int(os.environ.get("APIS_ISSUER_PORT", "8090"))


def issuer_url() -> str:
    return f"http://127.0.0.1:{issuer_port()}"


def _key_file(config: Config) -> Path:
    return config.local_dir / "dev" / "issuer-key.pem"


def _private_key(config: Config) -> Any:
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


def jwks(config: Config) -> dict[str, Any]:
    import jwt

    public = jwt.algorithms.RSAAlgorithm.to_jwk(_private_key(config).public_key(), as_dict=True)
    return {"keys": [{**public, "kid": _KID, "use": "sig", "alg": "RS256"}]}


def issue_token(
    config: Config, *, admin: bool = False, user_id: str | None = None, email: str | None = None,
    name: str | None = None,
) -> str:  # fmt: skip
    """A signed access token for the dev stack, shaped like the identity provider's."""
    import jwt

    user_id = user_id or (DEV_ADMIN_ID if admin else DEV_USER_ID)
    now = int(time.time())
    claims = {
        "iss": issuer_url(),
        "aud": DEV_AUDIENCE,
        "sub": f"dev-{user_id}",
        "iat": now,
        "nbf": now,
        "exp": now + TOKEN_LIFETIME_SECONDS,
        "jti": uuid.uuid4().hex,
        EMPLOYEE_NUMBER_CLAIM: user_id,
        "email": email or (f"admin.{user_id}@example.edu" if admin else f"dev.{user_id}@example.edu"),
        "name": name or ("Dev Admin" if admin else "Dev User"),
        "roles": ADMIN_ROLES if admin else USER_ROLES,
    }
    return str(jwt.encode(claims, _private_key(config), algorithm="RS256", headers={"kid": _KID}))


def issuer_server(config: Config) -> BackgroundServer:
    return BackgroundServer("issuer", config.run_dir, config.log_dir, f"{issuer_url()}/.well-known/jwks.json")


def start_issuer(config: Config) -> bool:
    """Serve the JWKS unless it already runs; return whether this call started it."""
    server = issuer_server(config)
    if server.pid() is not None and server.is_ready():
        return False
    _private_key(config)
    env = {"PYTHONPATH": str(config.root / "scripts"), "APIS_REPO_ROOT": str(config.root)}
    server.start([sys.executable, "-m", "devtools.issuer", "serve"], env=env, timeout=30.0)
    return True


def environment_for(prefix: str) -> dict[str, str]:
    """The variables that make a service verify the local issuer's tokens."""
    return {
        f"{prefix}AUTH_MODE": "verify",
        f"{prefix}AUTH_ISSUER": issuer_url(),
        f"{prefix}AUTH_AUDIENCES": json.dumps([DEV_AUDIENCE]),
        f"{prefix}AUTH_JWKS_URL": f"{issuer_url()}/.well-known/jwks.json",
    }


def serve(config: Config) -> None:
    body_by_path = {
        "/.well-known/jwks.json": json.dumps(jwks(config)).encode(),
        "/.well-known/openid-configuration": json.dumps(
            {
                "issuer": issuer_url(),
                "jwks_uri": f"{issuer_url()}/.well-known/jwks.json",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        ).encode(),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = body_by_path.get(self.path.split("?", 1)[0])
            if body is None:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", issuer_port()), Handler)
    print(f"issuer: serving {issuer_url()}/.well-known/jwks.json", flush=True)
    server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    import argparse

    from devtools.config import load_config

    parser = argparse.ArgumentParser(prog="devtools.issuer")
    parser.add_argument("command", choices=["serve"])
    parser.parse_args(argv)
    serve(load_config())
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
