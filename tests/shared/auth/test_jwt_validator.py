"""Token validation, including the attacks a bearer-token API must refuse."""

from __future__ import annotations

import base64
import json
import time
from typing import TYPE_CHECKING

import jwt
import pytest

from apis.shared.auth import (
    AuthConfig,
    AuthConfigurationError,
    AuthMode,
    ClaimNames,
    InsufficientScopeError,
    JwksCache,
    JwtValidator,
    RoleRequiredError,
    TokenAlgorithmError,
    TokenAudienceError,
    TokenClaimsError,
    TokenExpiredError,
    TokenIssuerError,
    TokenMalformedError,
    TokenNotYetValidError,
    TokenSignatureError,
    UnknownSigningKeyError,
)
from tests.support.tokens import AUDIENCE, EMPLOYEE_CLAIM, ISSUER, SigningKey, claims, issue, jwks

if TYPE_CHECKING:
    from apis.shared.errors import ApisError

KEY = SigningKey("key-1")
OTHER_KEY = SigningKey("key-1")  # same kid, different key material


def config(**overrides) -> AuthConfig:
    values = {"issuer": ISSUER, "audiences": (AUDIENCE,), "jwks_url": "https://login.example.test/keys"} | overrides
    return AuthConfig(**values)


def validator(**overrides) -> JwtValidator:
    return JwtValidator(config(**overrides), JwksCache(lambda: jwks(KEY)))


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_valid_token_gives_the_user() -> None:
    user = validator().validate(issue(KEY, picture="https://img.example/ada.png"))
    assert user.user_id == "123456789"
    assert user.email == "ada.lovelace@example.edu"
    assert user.email_domain == "example.edu"
    assert user.name == "Ada Lovelace"
    assert user.roles == ("Faculty",)
    assert user.picture == "https://img.example/ada.png"
    assert user.claims["sub"] == "subject-1"


def test_name_falls_back_to_given_and_family_then_email() -> None:
    assert validator().validate(issue(KEY, name=None, given_name="Ada", family_name="King")).name == "Ada King"
    assert validator().validate(issue(KEY, name=None, email="a@b.c")).name == "a@b.c"


def test_email_falls_back_to_preferred_username() -> None:
    user = validator().validate(issue(KEY, email=None, preferred_username="Grace@Navy.MIL"))
    assert user.email == "grace@navy.mil"


def test_audience_may_be_one_of_several_and_a_list() -> None:
    token = issue(KEY, aud=["other", "client-id"])
    assert validator(audiences=(AUDIENCE, "client-id")).validate(token).user_id == "123456789"


def test_clock_skew_within_the_leeway_is_accepted() -> None:
    token = issue(KEY, exp=int(time.time()) - 30)
    assert validator(leeway_seconds=60).validate(token)
    with pytest.raises(TokenExpiredError):
        validator(leeway_seconds=0).validate(token)


ATTACKS = {
    "alg none": (lambda: f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': 'key-1'})}.{b64(claims())}.", TokenAlgorithmError),
    "HS256 with the public key as secret": (
        lambda: f"{b64({'alg': 'HS256', 'typ': 'JWT', 'kid': 'key-1'})}.{b64(claims())}.c2lnbmVk",
        TokenAlgorithmError,
    ),
    "RS512": (
        lambda: jwt.encode(claims(), KEY.private, algorithm="RS512", headers={"kid": "key-1"}),
        TokenAlgorithmError,
    ),
    "expired": (lambda: issue(KEY, exp=int(time.time()) - 3600), TokenExpiredError),
    "not yet valid": (lambda: issue(KEY, nbf=int(time.time()) + 3600), TokenNotYetValidError),
    "wrong issuer": (lambda: issue(KEY, iss="https://evil.example/v2.0"), TokenIssuerError),
    "wrong audience": (lambda: issue(KEY, aud="api://someone-else"), TokenAudienceError),
    "unknown kid": (lambda: issue(KEY, headers={"kid": "key-9"}), UnknownSigningKeyError),
    "no kid": (lambda: jwt.encode(claims(), KEY.private, algorithm="RS256"), TokenMalformedError),
    "signed by another key": (lambda: issue(OTHER_KEY), TokenSignatureError),
    "tampered payload": (
        lambda: ".".join(
            [issue(KEY).split(".")[0], b64(claims(**{EMPLOYEE_CLAIM: "987654321"})), issue(KEY).split(".")[2]]
        ),
        TokenSignatureError,
    ),
    "not a jwt": (lambda: "definitely-not-a-token", TokenMalformedError),
    "missing exp": (lambda: issue(KEY, exp=None), TokenClaimsError),
    "missing aud": (lambda: issue(KEY, aud=None), TokenClaimsError),
    "missing user id": (lambda: issue(KEY, **{EMPLOYEE_CLAIM: None}), TokenClaimsError),
    "malformed user id": (lambda: issue(KEY, **{EMPLOYEE_CLAIM: "12345"}), TokenClaimsError),
    "missing email": (lambda: issue(KEY, email=None), TokenClaimsError),
    "roles not a list": (lambda: issue(KEY, roles="Admin"), TokenClaimsError),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attacks_and_broken_tokens_are_refused_with_401(attack: str) -> None:
    make_token, expected = ATTACKS[attack]
    with pytest.raises(expected) as refused:
        validator().validate(make_token())
    error: ApisError = refused.value
    assert error.status_code == 401
    assert error.code.value == "unauthorized"
    assert error.metadata and error.metadata["reason"] == expected.reason


def test_expired_says_expired() -> None:
    with pytest.raises(TokenExpiredError) as refused:
        validator().validate(issue(KEY, exp=int(time.time()) - 3600))
    assert refused.value.message == "Token has expired"
    assert refused.value.metadata == {"reason": "expired"}


def test_missing_scope_and_role_gate_are_403() -> None:
    with pytest.raises(InsufficientScopeError) as scope:
        validator(required_scopes=("Read", "Admin")).validate(issue(KEY))
    assert scope.value.status_code == 403
    assert validator(required_scopes=("Read",)).validate(issue(KEY, scp=["Read"])).user_id
    with pytest.raises(RoleRequiredError) as gate:
        validator(allowed_roles=("Staff", "Students")).validate(issue(KEY))
    assert gate.value.status_code == 403
    assert validator(allowed_roles=("Faculty",)).validate(issue(KEY)).roles == ("Faculty",)


def test_claim_names_are_configurable() -> None:
    names = ClaimNames(user_id="oid", email=("upn",), roles="groups")
    token = issue(KEY, oid="user-7", upn="x@y.z", groups=["g1"])
    user = validator(claims=names, user_id_pattern=None).validate(token)
    assert (user.user_id, user.email, user.roles) == ("user-7", "x@y.z", ("g1",))


def test_trusted_mode_skips_the_signature_but_not_the_claims() -> None:
    trusted = JwtValidator(config(mode=AuthMode.TRUSTED, jwks_url="", allow_trusted=True))
    forged_signature = issue(OTHER_KEY)
    assert trusted.validate(forged_signature).user_id == "123456789"
    with pytest.raises(TokenExpiredError):
        trusted.validate(issue(KEY, exp=int(time.time()) - 3600))
    with pytest.raises(TokenAudienceError):
        trusted.validate(issue(KEY, aud="api://someone-else"))
    with pytest.raises(TokenAlgorithmError):
        trusted.validate(ATTACKS["alg none"][0]())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mode": AuthMode.DISABLED, "environment": "production"}, "only be disabled in development"),
        ({"mode": AuthMode.DISABLED, "environment": "staging"}, "only be disabled in development"),
        ({"issuer": ""}, "an issuer and at least one audience"),
        ({"audiences": ()}, "an issuer and at least one audience"),
        ({"jwks_url": ""}, "JWKS URL"),
        ({"leeway_seconds": 3600}, "leeway"),
        ({"mode": AuthMode.TRUSTED, "jwks_url": ""}, "trusted mode skips the signature check"),
        ({"mode": AuthMode.TRUSTED}, "this service does not allow it"),
        ({"jwks_ttl_seconds": 0}, "JWKS TTL must be positive"),
        ({"jwks_stale_grace_seconds": -1}, "stale grace not negative"),
    ],
)
def test_unsafe_or_incomplete_configs_are_refused(overrides: dict, message: str) -> None:
    with pytest.raises(AuthConfigurationError, match=message):
        config(**overrides)


@pytest.mark.parametrize(
    ("claims_", "verified"),
    [
        ({"email_verified": True}, "ada.lovelace@example.edu"),
        ({"email_verified": "true"}, "ada.lovelace@example.edu"),
        ({}, None),  # Entra ID never sends the flag, and its email is not verified
        ({"email_verified": False}, None),
        ({"email_verified": "false"}, None),
        ({"email_verified": 1}, None),
        ({"email_verified": True, "email": None, "preferred_username": "ada@example.edu"}, None),
        ({"email_verified": True, "email": "not-an-address", "preferred_username": "ada@example.edu"}, None),
    ],
)
def test_the_verified_email_needs_the_providers_word(claims_: dict, verified: str | None) -> None:
    user = validator().validate(issue(KEY, **claims_))
    assert user.verified_email == verified
    assert user.email != "" and user.email == user.email.lower()


def test_a_directory_claim_can_be_trusted_where_the_provider_sends_no_flag() -> None:
    # Entra ID: the user principal name is set by the tenant's administrators, unique in the tenant.
    entra = validator(claims=ClaimNames(verified_email="preferred_username"), verified_email_requires_flag=False)
    token = issue(KEY, email="someone.else@example.edu", preferred_username="Ada@Example.EDU")
    user = entra.validate(token)
    assert (user.email, user.verified_email) == ("someone.else@example.edu", "ada@example.edu")
    assert entra.validate(issue(KEY, email="x@example.edu")).verified_email is None


def test_verify_mode_needs_keys() -> None:
    with pytest.raises(ValueError, match="needs the issuer's keys"):
        JwtValidator(config())
