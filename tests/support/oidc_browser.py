"""What a browser does during sign-in, for tests: follow nothing, submit the provider's form, read redirects."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def location_query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.headers["location"]).query))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def send(method: str, url: str, *, form: dict[str, str] | None = None, body: Any = None,
         headers: dict[str, str] | None = None) -> Response:  # fmt: skip
    """One request; redirects and error statuses are returned, not followed or raised."""
    all_headers = dict(headers or {})
    data = None
    if form is not None:
        data = urlencode(form).encode()
        all_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif body is not None:
        data = json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with _OPENER.open(request, timeout=30) as response:
            return Response(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


@dataclass
class SignInForm:
    action: str = ""
    method: str = ""
    hidden: dict[str, str] | None = None
    users: list[tuple[str, str]] | None = None


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form = SignInForm(hidden={}, users=[])
        self._button: str | None = None
        self._strong = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.form.action, self.form.method = values["action"], values["method"]
        elif tag == "input" and values.get("type") == "hidden":
            assert self.form.hidden is not None
            self.form.hidden[values["name"]] = values["value"]
        elif tag == "button" and values.get("name") == "user":
            self._button = values["value"]
        elif tag == "strong":
            self._strong = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._button = None
        elif tag == "strong":
            self._strong = False

    def handle_data(self, data: str) -> None:
        if self._button is not None and self._strong:
            assert self.form.users is not None
            self.form.users.append((self._button, data))


def read_sign_in_form(page: str) -> SignInForm:
    reader = _FormReader()
    reader.feed(page)
    return reader.form


def sign_in(authorization_url: str, user_id: str) -> Response:
    """Open the sign-in page, pick ``user_id``, and return the provider's redirect to the client."""
    page = send("GET", authorization_url)
    assert page.status == 200, page.text
    form = read_sign_in_form(page.text)
    assert form.method == "post" and form.hidden is not None
    return send("POST", urljoin(authorization_url, form.action), form={**form.hidden, "user": user_id})
