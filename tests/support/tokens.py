"""An RSA signing key, its JWKS, and tokens made the way the identity provider makes them."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://login.example.test/tenant/v2.0"
AUDIENCE = "api://apis-platform"
EMPLOYEE_CLAIM = "http://schemas.boisestate.edu/claims/employeenumber"


class SigningKey:
    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or uuid.uuid4().hex[:12]
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def jwk(self) -> dict[str, Any]:
        data = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**data, "kid": self.kid, "use": "sig", "alg": "RS256"}


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.jwk for key in keys]}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "sub": "subject-1",
        EMPLOYEE_CLAIM: "123456789",
        "email": "Ada.Lovelace@Example.EDU",
        "name": "Ada Lovelace",
        "roles": ["Faculty"],
        "scp": "Read Write",
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def issue(key: SigningKey, *, headers: dict[str, Any] | None = None, **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), key.private, algorithm="RS256", headers={"kid": key.kid, **(headers or {})})
