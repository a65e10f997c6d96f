"""The local index's server process: pypiserver, plus the PEP 592 yank marks it lacks.

    python -m devtools.index_server --yank-list FILE <pypiserver run arguments>

pypiserver cannot mark a file as yanked, so its simple pages pass through a
WSGI filter that adds ``data-yanked="<reason>"`` to the link of every file the
yank list names (``.local/index/yanked.json``, written from the release records
by ``scripts/yank`` and ``scripts/index fill``). The list is read on every
request, so a yank shows without a restart. pip and uv then skip the release
unless a requirement pins it exactly; ``scripts/pin`` refuses it outright.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["YankMarks", "main", "mark_yanked"]

_ANCHOR = re.compile(r'<a href="(?P<href>[^"]*)">(?P<name>[^<]+)</a>')

Environ = dict[str, Any]
StartResponse = Any
WsgiApp = Any


def mark_yanked(page: str, yanked: dict[str, str]) -> str:
    """Add ``data-yanked`` to the anchors of ``page`` whose file name ``yanked`` maps to a reason."""

    def mark(match: re.Match[str]) -> str:
        reason = yanked.get(match.group("name"))
        if reason is None:
            return match[0]
        quoted = html.escape(reason, quote=True)
        return f'<a href="{match.group("href")}" data-yanked="{quoted}">{match.group("name")}</a>'

    return _ANCHOR.sub(mark, page)


class YankMarks:
    """WSGI filter: marks yanked files on the simple pages of the wrapped index."""

    def __init__(self, app: WsgiApp, yank_list: Path) -> None:
        self.app = app
        self.yank_list = yank_list

    def yanked(self) -> dict[str, str]:
        if not self.yank_list.exists():
            return {}
        data = json.loads(self.yank_list.read_text())
        return {str(name): str(reason) for name, reason in data.items()}

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if not str(environ.get("PATH_INFO", "")).startswith("/simple/"):
            result: Iterable[bytes] = self.app(environ, start_response)
            return result
        captured: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            captured.update(status=status, headers=headers)
            return lambda _chunk: None

        chunks = self.app(environ, keep)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        yanked = self.yanked()
        if yanked and str(captured["status"]).startswith("200"):
            body = mark_yanked(body.decode(), yanked).encode()
        headers = [(name, value) for name, value in captured["headers"] if name.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]


def main(argv: list[str] | None = None) -> None:
    import pypiserver
    from pypiserver import bottle_wrapper as bottle
    from pypiserver.__main__ import WsgiHandler
    from pypiserver.config import Config as PypiConfig

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] != "--yank-list":
        raise SystemExit("usage: python -m devtools.index_server --yank-list FILE <pypiserver run arguments>")
    yank_list = Path(args[1])
    config = PypiConfig.from_args(args[2:])
    app = pypiserver.setup_routes_from_config(pypiserver.app_from_config(config), config)
    bottle.run(
        app=YankMarks(app, yank_list), host=config.host, port=config.port, server="wsgiref", handler_class=WsgiHandler
    )


if __name__ == "__main__":
    main()
