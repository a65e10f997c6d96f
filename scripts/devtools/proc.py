"""Start, probe and stop the background servers of the dev and test loops.

Each server runs in its own process group with its output in
``.local/logs/<name>.log`` and its pid in ``.local/run/<name>.pid``, so a
later command (``scripts/dev down``, ``.ci/run``'s cleanup) can stop it.
"""

from __future__ import annotations

import contextlib
import enum
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from devtools.errors import CommandError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "BackgroundServer",
    "ServerState",
    "accepts_connections",
    "describe_process",
    "http_ok",
    "listener_pids",
    "wait_until_ready",
]

_POLL_SECONDS = 0.1
_PROC = Path("/proc")
_TCP_LISTEN = "0A"


class ServerState(enum.Enum):
    """What is at a server's address, as far as this checkout can tell."""

    RUNNING = "running"
    """Our recorded process answers there."""
    STOPPED = "stopped"
    """No process of ours runs, and nothing accepts connections there."""
    NOT_ANSWERING = "not answering"
    """Our recorded process lives, but the address does not answer (still starting, or hung)."""
    FOREIGN = "foreign"
    """Another process holds the address: it is not the one our pid file names."""


def accepts_connections(host: str, port: int, *, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        # JUSTIFICATION: a refused or timed-out connection is the answer "no", not a failure.
        return False


def _listening_inodes(port: int) -> set[str] | None:
    """The socket inodes listening on ``port`` (any address), or None where /proc cannot say (not Linux)."""
    inodes: set[str] = set()
    tables = [_PROC / "net" / "tcp", _PROC / "net" / "tcp6"]
    readable = [table for table in tables if table.exists()]
    if not readable:
        return None
    for table in readable:
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == _TCP_LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def _socket_inodes(pid: int) -> set[str] | None:
    """The socket inodes process ``pid`` holds, or None when its descriptors cannot be read."""
    inodes = set()
    try:
        for descriptor in (_PROC / str(pid) / "fd").iterdir():
            with contextlib.suppress(OSError):  # JUSTIFICATION: a descriptor closed while we look is not a socket.
                target = str(descriptor.readlink())
                if target.startswith("socket:["):
                    inodes.add(target.removeprefix("socket:[").removesuffix("]"))
    except OSError:
        # JUSTIFICATION: another user's process, or one that just exited: we cannot tell, which callers handle.
        return None
    return inodes


def _process_group(pgid: int) -> list[int]:
    """The processes of process group ``pgid`` (a server started in its own session leads one)."""
    members = []
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                # JUSTIFICATION: a process that exited while we looked belongs to no group.
                continue
            # "pid (command) state ppid pgrp ...": the command may hold spaces and parentheses.
            if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
                members.append(int(entry.name))
    return members


def _listens_on(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` or its process group listens on ``port``; None when this system cannot tell."""
    listening = _listening_inodes(port)
    held = _socket_inodes(pid)
    if listening is None or held is None:
        return None
    if listening & held:
        return True
    return any(listening & (_socket_inodes(member) or set()) for member in _process_group(pid) if member != pid)


def listener_pids(port: int) -> list[int]:
    """The processes (that we may inspect) listening on ``port``; empty when none or when this system cannot tell."""
    listening = _listening_inodes(port)
    if not listening or not _PROC.is_dir():
        return []
    pids = []
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            held = _socket_inodes(int(entry.name))
            if held and held & listening:
                pids.append(int(entry.name))
    return sorted(pids)


def describe_process(pid: int) -> str:
    """``pid`` and, where the system shows it, its command line."""
    try:
        argv = (_PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        # JUSTIFICATION: the command line only decorates a message; a pid alone still names the process.
        return f"pid {pid}"
    command = " ".join(part.decode(errors="replace") for part in argv if part)
    return f"pid {pid}: {command}" if command else f"pid {pid}"


def http_ok(url: str, *, timeout: float = 2.0) -> bool:
    """Whether ``url`` answers 2xx (a refused or failed connection is just 'no')."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(200 <= response.status < 300)
    except urllib.error.HTTPError as exc:
        # JUSTIFICATION: the question is whether it answers 2xx; an error status is the answer "no".
        exc.close()
        return False
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        # JUSTIFICATION: a server that is not (yet) listening is the answer "no", not a failure.
        return False


def wait_until_ready(url: str, *, timeout: float, process: subprocess.Popen[bytes] | None = None) -> bool:
    """Poll ``url`` until it answers 2xx, the process exits, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if http_ok(url, timeout=1.0):
            return True
        if process is not None and process.poll() is not None:
            return False
        time.sleep(_POLL_SECONDS)
    return False


@dataclass(frozen=True)
class BackgroundServer:
    """A named server process of this checkout."""

    name: str
    run_dir: Path
    log_dir: Path
    ready_url: str

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        """The pid of our running server, or None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            # JUSTIFICATION: no pid file (or a torn one) means we started nothing that runs.
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            # JUSTIFICATION: the process is gone, so the pid file is stale: not running.
            self.pid_file.unlink(missing_ok=True)
            return None
        return pid

    @property
    def address(self) -> tuple[str, int]:
        """The host and port of ``ready_url``: where the server listens."""
        parts = urllib.parse.urlsplit(self.ready_url)
        if parts.hostname is None:
            raise CommandError(f"{self.name}: no host in {self.ready_url}")
        return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)

    def is_ready(self) -> bool:
        return http_ok(self.ready_url)

    def state(self) -> ServerState:
        """Whether our recorded server runs at its address, nothing does, or another process holds it."""
        host, port = self.address
        pid = self.pid()
        listening = accepts_connections(host, port)
        if pid is None:
            return ServerState.FOREIGN if listening else ServerState.STOPPED
        if not listening:
            return ServerState.NOT_ANSWERING
        if _listens_on(pid, port) is False:
            return ServerState.FOREIGN
        return ServerState.RUNNING if self.is_ready() else ServerState.NOT_ANSWERING

    def foreign_listener(self) -> str:
        """Who holds the address instead of our server, for a message ("pid 123: python ...", or "unknown")."""
        pids = listener_pids(self.address[1])
        return "; ".join(describe_process(pid) for pid in pids) if pids else "a process this user cannot see"

    def start(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Start the server and wait until ``ready_url`` answers; raise with the log tail if it does not."""
        if self.pid() is not None:
            raise CommandError(f"{self.name} is already running (pid file {self.pid_file})")
        host, port = self.address
        if accepts_connections(host, port):
            raise CommandError(
                f"{self.name}: another process already listens at {host}:{port} ({self.foreign_listener()})"
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                list(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{process.pid}\n")
        if not wait_until_ready(self.ready_url, timeout=timeout, process=process):
            self.stop()
            raise CommandError(
                f"{self.name} did not become ready at {self.ready_url} within {timeout:.0f}s.\n"
                f"Last lines of {self.log_file}:\n{self.log_tail()}"
            )

    def stop(self, *, timeout: float = 10.0) -> bool:
        """Stop the server's whole process group; return whether one was running."""
        pid = self.pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):  # JUSTIFICATION: it exited already, as wanted.
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                # JUSTIFICATION: the process has exited: the wait is over.
                break
            with contextlib.suppress(ChildProcessError):  # JUSTIFICATION: not our child; nothing to reap.
                os.waitpid(pid, os.WNOHANG)
            time.sleep(_POLL_SECONDS)
        else:
            with contextlib.suppress(ProcessLookupError):  # JUSTIFICATION: it exited at the last moment.
                os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            # JUSTIFICATION: the tail is shown in an error message; a server that never logged has none.
            return "(no log)"
