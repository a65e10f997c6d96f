from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from apis.shared.auth import JwksCache, UnknownSigningKeyError, fetch_jwks
from apis.shared.errors import DependencyUnavailableError
from tests.support.tokens import SigningKey, jwks

if TYPE_CHECKING:
    from collections.abc import Iterator

KEY_A = SigningKey("a")
KEY_B = SigningKey("b")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Issuer:
    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.calls = 0

    def __call__(self) -> dict:
        self.calls += 1
        return jwks(*self.keys)


def test_keys_are_fetched_once_and_reused() -> None:
    issuer = Issuer(KEY_A)
    cache = JwksCache(issuer, clock=Clock())
    for _ in range(50):
        assert cache.get_key("a").key_id == "a"
    assert issuer.calls == 1


def test_an_unknown_kid_refreshes_at_most_once_per_interval() -> None:
    issuer, clock = Issuer(KEY_A), Clock()
    cache = JwksCache(issuer, clock=clock, min_refresh_interval_seconds=60)
    cache.get_key("a")
    clock.now += 61
    for attempt in range(20):
        with pytest.raises(UnknownSigningKeyError):
            cache.get_key(f"random-{attempt}")
    assert issuer.calls == 2, "a flood of unknown kids must not become a flood of JWKS fetches"


def test_rotated_keys_are_picked_up() -> None:
    issuer, clock = Issuer(KEY_A), Clock()
    cache = JwksCache(issuer, clock=clock, min_refresh_interval_seconds=60)
    cache.get_key("a")
    issuer.keys = [KEY_A, KEY_B]
    clock.now += 61
    assert cache.get_key("b").key_id == "b"


def test_keys_expire_after_the_ttl() -> None:
    issuer, clock = Issuer(KEY_A), Clock()
    cache = JwksCache(issuer, clock=clock, ttl_seconds=3600)
    cache.get_key("a")
    clock.now += 3601
    cache.get_key("a")
    assert issuer.calls == 2


def test_unusable_entries_are_skipped() -> None:
    document = jwks(KEY_A)
    document["keys"] += [
        {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "x", "y": "y"},
        {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
    ]
    cache = JwksCache(lambda: document)
    assert cache.get_key("a").key_id == "a"
    for kid in ("ec", "enc", "broken"):
        with pytest.raises(UnknownSigningKeyError):
            cache.get_key(kid)


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, dict]]:
    state = {"status": 200, "body": json.dumps(jwks(KEY_A)).encode()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(state["status"])
            self.send_header("Content-Length", str(len(state["body"])))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(state["body"])

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/keys", state
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_jwks_over_http(jwks_server: tuple[str, dict]) -> None:
    url, _ = jwks_server
    assert fetch_jwks(url)["keys"][0]["kid"] == "a"


@pytest.mark.parametrize(("status", "body"), [(500, b"oops"), (200, b"not json"), (200, b'{"no": "keys"}')])
def test_a_broken_issuer_is_a_503_not_a_401(jwks_server: tuple[str, dict], status: int, body: bytes) -> None:
    url, state = jwks_server
    state.update(status=status, body=body)
    with pytest.raises(DependencyUnavailableError) as unavailable:
        fetch_jwks(url)
    assert unavailable.value.status_code == 503


def test_an_unreachable_issuer_is_a_503() -> None:
    with pytest.raises(DependencyUnavailableError):
        fetch_jwks("http://127.0.0.1:9/keys", timeout=1)
