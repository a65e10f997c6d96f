"""The private package index: a loopback pypiserver for development and CI.

Policy, enforced by the server's flags:

- uploads need the htpasswd credentials (``-a update -P htpasswd``); reads are anonymous;
- no fallback: a name the index does not hold is a 404, never a redirect to PyPI;
- no overwrite: a file name that exists is refused (pypiserver's default, ``-o`` is never passed).
- yanked releases (``scripts/yank``) carry ``data-yanked`` on the simple pages (PEP 592;
  pypiserver lacks it, so ``devtools.index_server`` adds it).

Its data lives in the git-ignored ``.local/index/``: the package files, the
htpasswd file and the generated upload credentials.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

from devtools.config import Config, load_config
from devtools.errors import CommandError
from devtools.proc import BackgroundServer, ServerState

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "STATUS_FOREIGN",
    "STATUS_STOPPED",
    "IndexClient",
    "UploadCredentials",
    "ensure_credentials",
    "foreign_index_message",
    "index_server",
    "refuse_foreign_index",
    "start_index",
]

# Exit statuses of `scripts/index status` besides 0 (running).
STATUS_STOPPED = 3
STATUS_FOREIGN = 4

UPLOAD_USER = "apis-release"
_LINK = re.compile(r'href="(?P<href>[^"#]+)(?:#(?P<algo>sha256)=(?P<digest>[0-9a-f]{64}))?"')


@dataclass(frozen=True)
class UploadCredentials:
    """Who may upload to the index."""

    username: str
    password: str


class IndexClient:
    """Read-only view of a PEP 503 index over HTTP."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        if self.base_url.endswith("/simple"):
            self.base_url = self.base_url.removesuffix("/simple")
        self.timeout = timeout

    def project_files(self, project: str) -> dict[str, str | None]:
        """Map each file name of ``project`` to its sha256 (None if the index gives none).

        Raises CommandError when the index cannot be reached or answers with an error.
        """
        url = f"{self.base_url}/simple/{project}/"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                page = response.read().decode()
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 404:
                return {}
            raise CommandError(f"the index at {self.base_url} answered {exc.code} for {url}") from exc
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            raise CommandError(
                f"the index at {self.base_url} is unreachable ({exc}). Start the local one with `scripts/index start`."
            ) from exc
        files: dict[str, str | None] = {}
        for match in _LINK.finditer(page):
            name = match.group("href").rsplit("/", 1)[-1]
            files[name] = match.group("digest")
        return files

    def versions(self, project: str) -> list[str]:
        """The versions of ``project`` that have a wheel on the index, oldest first."""
        from packaging.version import Version

        prefix = project.replace("-", "_") + "-"
        found = {
            name[len(prefix) :].split("-", 1)[0]
            for name in self.project_files(project)
            if name.startswith(prefix) and name.endswith(".whl")
        }
        return sorted(found, key=Version)

    def check_reachable(self) -> None:
        """Raise CommandError unless the index answers."""
        self.project_files("apis-shared")


def ensure_credentials(config: Config) -> UploadCredentials:
    """Return the local index's upload credentials, creating them and the htpasswd file once."""
    from passlib.apache import HtpasswdFile

    config.index_dir.mkdir(parents=True, exist_ok=True)
    credentials_file = config.index_dir / "upload-credentials.json"
    htpasswd_file = config.index_dir / "htpasswd"
    if credentials_file.exists() and htpasswd_file.exists():
        data = json.loads(credentials_file.read_text())
        return UploadCredentials(data["username"], data["password"])
    password = secrets.token_urlsafe(24)
    htpasswd = HtpasswdFile(str(htpasswd_file), new=True)
    htpasswd.set_password(UPLOAD_USER, password)
    htpasswd.save()
    credentials_file.touch(mode=0o600)
    credentials_file.write_text(json.dumps({"username": UPLOAD_USER, "password": password}))
    return UploadCredentials(UPLOAD_USER, password)


def index_server(config: Config) -> BackgroundServer:
    return BackgroundServer("index", config.run_dir, config.log_dir, f"{config.index_url}/health")


def foreign_index_message(config: Config) -> str:
    """Why the index address cannot be this checkout's index: who holds it, and what our pid file says."""
    server = index_server(config)
    pid = server.pid()
    recorded = f"names pid {pid}, which does not listen there" if pid is not None else "names no running process"
    return (
        f"the address {config.index_host}:{config.index_port} is served by another process, not this checkout's "
        f"index ({server.foreign_listener()}; the pid file {server.pid_file} {recorded}). Stop that process, "
        "or move this checkout's index with APIS_INDEX_PORT (and relock the services: their locks record its URL)."
    )


def refuse_foreign_index(config: Config) -> None:
    """Raise CommandError when another process holds the index address, so nothing talks to an impostor."""
    if index_server(config).state() is ServerState.FOREIGN:
        raise CommandError(foreign_index_message(config))


def start_index(config: Config) -> bool:
    """Start the local index unless it already runs; return whether this call started it.

    Refuses (CommandError) when another process already holds the index address.
    """
    server = index_server(config)
    state = server.state()
    if state is ServerState.RUNNING:
        return False
    if state is ServerState.FOREIGN:
        raise CommandError(foreign_index_message(config))
    ensure_credentials(config)
    config.index_packages_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable, "-m", "devtools.index_server",
        "--yank-list", str(config.index_dir / "yanked.json"),
        "run",
        "--host", config.index_host,
        "--port", str(config.index_port),
        "--passwords", str(config.index_dir / "htpasswd"),
        "--authenticate", "update",
        "--disable-fallback",
        "--hash-algo", "sha256",
        str(config.index_packages_dir),
    ]  # fmt: skip
    server.start(argv, env={"PYTHONPATH": str(config.root / "scripts")}, timeout=30.0)
    return True


def _print_status(config: Config) -> int:
    server = index_server(config)
    state = server.state()
    if state is ServerState.FOREIGN:
        print(f"index: {foreign_index_message(config)}")
        return STATUS_FOREIGN
    if state is ServerState.NOT_ANSWERING:
        print(
            f"index: not answering at {config.index_simple_url} (pid {server.pid()} from {server.pid_file} "
            f"is alive; see {server.log_file})"
        )
        return STATUS_STOPPED
    running = state is ServerState.RUNNING
    print(f"index: {'running' if running else 'stopped'} at {config.index_simple_url}")
    if running:
        versions = IndexClient(config.index_url).versions("apis-shared")
        print(f"apis-shared versions: {', '.join(versions) or '(none)'}")
    return 0 if running else STATUS_STOPPED


def _packages_on_disk(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.glob("*") if path.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/index", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("start", help="start the local index (fill it first with `scripts/index fill`)")
    sub.add_parser("stop", help="stop the local index")
    sub.add_parser(
        "status",
        help=f"say whether it runs and which versions it holds; exit {STATUS_STOPPED} when stopped, "
        f"{STATUS_FOREIGN} when another process holds its address",
    )
    sub.add_parser("fill", help="rebuild every recorded release from its source and put it on the index")
    sub.add_parser("up", help="fill, then start")
    sub.add_parser("credentials", help="print the upload credentials of the local index")
    args = parser.parse_args(argv)
    config = load_config()
    if args.command == "start":
        started = start_index(config)
        print(f"index: {'started' if started else 'already running'} at {config.index_simple_url}")
    elif args.command == "stop":
        print("index: stopped" if index_server(config).stop() else "index: was not running")
    elif args.command == "status":
        return _print_status(config)
    elif args.command in ("fill", "up"):
        from devtools.rebuild import fill_index

        if args.command == "up":
            refuse_foreign_index(config)
        fill_index(config)
        if args.command == "up":
            start_index(config)
        print(f"index: {len(_packages_on_disk(config.index_packages_dir))} files at {config.index_simple_url}")
    elif args.command == "credentials":
        credentials = ensure_credentials(config)
        print(f"TWINE_USERNAME={credentials.username}\nTWINE_PASSWORD={credentials.password}")
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
