from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from apis.shared.auth import JwksCache, UnknownSigningKeyError, fetch_jwks
from apis.shared.errors import DependencyUnavailableError
from tests.support.clock import ManualClock
from tests.support.tokens import SigningKey, jwks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

KEY_A = SigningKey("a")
KEY_B = SigningKey("b")


class Issuer:
    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.calls = 0

    def __call__(self) -> dict:
        self.calls += 1
        return jwks(*self.keys)


def test_keys_are_fetched_once_and_reused() -> None:
    issuer = Issuer(KEY_A)
    cache = JwksCache(issuer, clock=ManualClock(1000.0))
    for _ in range(50):
        assert cache.get_key("a").key_id == "a"
    assert issuer.calls == 1


def test_an_unknown_kid_refreshes_at_most_once_per_interval() -> None:
    issuer, clock = Issuer(KEY_A), ManualClock(1000.0)
    cache = JwksCache(issuer, clock=clock, min_refresh_interval_seconds=60)
    cache.get_key("a")
    clock.now += 61
    for attempt in range(20):
        with pytest.raises(UnknownSigningKeyError):
            cache.get_key(f"random-{attempt}")
    assert issuer.calls == 2, "a flood of unknown kids must not become a flood of JWKS fetches"


def test_rotated_keys_are_picked_up() -> None:
    issuer, clock = Issuer(KEY_A), ManualClock(1000.0)
    cache = JwksCache(issuer, clock=clock, min_refresh_interval_seconds=60)
    cache.get_key("a")
    issuer.keys = [KEY_A, KEY_B]
    clock.now += 61
    assert cache.get_key("b").key_id == "b"


def test_keys_expire_after_the_ttl() -> None:
    issuer, clock = Issuer(KEY_A), ManualClock(1000.0)
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


class FlakyIssuer(Issuer):
    """An issuer that can go down (503 from fetch_jwks) and be slow (blocks until released)."""

    def __init__(self, *keys: SigningKey) -> None:
        super().__init__(*keys)
        self.down = False
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def __call__(self) -> dict:
        self.calls += 1
        self.entered.set()
        assert self.release.wait(10)
        if self.down:
            raise DependencyUnavailableError("The identity provider's signing keys are unavailable", detail="down")
        return jwks(*self.keys)


def grace_cache(issuer: FlakyIssuer, clock: ManualClock) -> JwksCache:
    return JwksCache(issuer, clock=clock, ttl_seconds=3600, stale_grace_seconds=1800, failure_retry_seconds=10)


def test_expired_keys_stay_in_use_within_the_grace_while_the_issuer_is_down() -> None:
    issuer, clock = FlakyIssuer(KEY_A), ManualClock(1000.0)
    cache = grace_cache(issuer, clock)
    assert cache.get_key("a").key_id == "a"
    issuer.down = True
    clock.now += 3601
    assert cache.get_key("a").key_id == "a", "cached keys are still good: not every request a 503"
    assert issuer.calls == 2
    for _ in range(20):
        assert cache.get_key("a").key_id == "a"
    assert issuer.calls == 2, "a down issuer is asked again only after the retry interval"
    clock.now += 10
    assert cache.get_key("a").key_id == "a"
    assert issuer.calls == 3


def test_after_the_grace_it_is_a_503_until_the_issuer_is_back() -> None:
    issuer, clock = FlakyIssuer(KEY_A), ManualClock(1000.0)
    cache = grace_cache(issuer, clock)
    cache.get_key("a")
    issuer.down = True
    clock.now += 3600 + 1800
    with pytest.raises(DependencyUnavailableError) as unavailable:
        cache.get_key("a")
    assert unavailable.value.status_code == 503
    with pytest.raises(DependencyUnavailableError):
        cache.get_key("a")  # within the retry interval: no new fetch, still a 503
    assert issuer.calls == 2
    issuer.down = False
    clock.now += 10
    assert cache.get_key("a").key_id == "a"
    assert cache.fetch_count == 2


def test_an_unknown_kid_while_the_issuer_is_down_with_expired_keys_is_a_503_not_a_401() -> None:
    issuer, clock = FlakyIssuer(KEY_A), ManualClock(1000.0)
    cache = grace_cache(issuer, clock)
    cache.get_key("a")
    issuer.down = True
    clock.now += 3601
    with pytest.raises(DependencyUnavailableError):
        cache.get_key("rotated")
    assert cache.get_key("a").key_id == "a"


def test_a_cold_start_against_a_down_issuer_is_a_503_and_retries_after_the_interval() -> None:
    issuer, clock = FlakyIssuer(KEY_A), ManualClock(1000.0)
    issuer.down = True
    cache = grace_cache(issuer, clock)
    for _ in range(5):
        with pytest.raises(DependencyUnavailableError):
            cache.get_key("a")
    assert issuer.calls == 1
    issuer.down = False
    clock.now += 10
    assert cache.get_key("a").key_id == "a"


def test_a_negative_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        JwksCache(Issuer(KEY_A), stale_grace_seconds=-1)


def in_thread(target: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(target()), daemon=True)
    thread.start()
    return thread, results


def test_a_slow_refresh_does_not_hold_up_requests_whose_keys_are_usable() -> None:
    issuer, clock = FlakyIssuer(KEY_A), ManualClock(1000.0)
    cache = grace_cache(issuer, clock)
    cache.get_key("a")
    clock.now += 3601
    issuer.entered.clear()
    issuer.release.clear()
    refresher, refreshed = in_thread(lambda: cache.get_key("a").key_id)
    assert issuer.entered.wait(5)
    other, answered = in_thread(lambda: cache.get_key("a").key_id)
    other.join(2)
    assert answered == ["a"], "the lock must not be held while the issuer is slow"
    issuer.release.set()
    refresher.join(5)
    assert refreshed == ["a"] and issuer.calls == 2


def test_concurrent_cold_starts_share_one_fetch() -> None:
    issuer = FlakyIssuer(KEY_A)
    issuer.release.clear()
    cache = grace_cache(issuer, ManualClock(1000.0))
    threads = [in_thread(lambda: cache.get_key("a").key_id) for _ in range(8)]
    assert issuer.entered.wait(5)
    issuer.release.set()
    for thread, _ in threads:
        thread.join(5)
    assert [results for _, results in threads] == [["a"]] * 8
    assert issuer.calls == 1


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
