"""Start, probe and stop the background servers of the dev and test loops.

Each server runs in its own process group with its output in
``.local/logs/<name>.log`` and its pid in ``.local/run/<name>.pid``, so a
later command (``scripts/dev down``, ``.ci/run``'s cleanup) can stop it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

from devtools.errors import CommandError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

__all__ = ["BackgroundServer", "http_ok", "wait_until_ready"]

_POLL_SECONDS = 0.1


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

    def is_ready(self) -> bool:
        return http_ok(self.ready_url)

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
        if self.is_ready():
            raise CommandError(f"{self.name}: something else already answers at {self.ready_url}")
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
