"""`scripts/index status` says when another process holds the index address; `start` and `up` refuse it.

Each test runs its own checkout root (APIS_REPO_ROOT, so its own pid file) and a
free port (APIS_INDEX_PORT); the listeners standing in for "another process"
are throwaway loopback servers. The real index on 3141 is never touched.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from devtools import index
from devtools.config import Config, load_config
from devtools.errors import CommandError
from devtools.proc import BackgroundServer, ServerState, accepts_connections
from tests.support.sandbox import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]


class _IndexLikeHandler(BaseHTTPRequestHandler):
    """Answers /health like pypiserver does; every project page is a 404."""

    def do_GET(self) -> None:
        body = b"ok" if self.path == "/health" else b"not found"
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Config:
    monkeypatch.setenv("APIS_REPO_ROOT", str(tmp_path))
    monkeypatch.setenv("APIS_INDEX_PORT", str(free_port()))
    loaded = load_config()
    assert loaded.root == tmp_path
    return loaded


@contextmanager
def serve_http(port: int) -> Iterator[None]:
    server = ThreadingHTTPServer(("127.0.0.1", port), _IndexLikeHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serve_silently(port: int) -> Iterator[None]:
    """A listener that accepts connections (into its backlog) and never answers a byte."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        yield


@pytest.fixture(params=["http", "silent"])
def another_listener(request: pytest.FixtureRequest, config: Config) -> Iterator[str]:
    """Another process's server on the index address: one answering HTTP, one that only accepts."""
    serve = serve_http if request.param == "http" else serve_silently
    with serve(config.index_port):
        yield request.param


@pytest.fixture
def http_listener(config: Config) -> Iterator[None]:
    with serve_http(config.index_port):
        yield


@pytest.fixture
def unrelated_process() -> Iterator[int]:
    """A live process that listens nowhere (a pid file may name it after a crash and pid reuse)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait(timeout=10)


def record_pid(config: Config, pid: int) -> Path:
    pid_file = index.index_server(config).pid_file
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{pid}\n")
    return pid_file


def foreign_prefix(config: Config) -> str:
    return (
        f"the address 127.0.0.1:{config.index_port} is served by another process, not this checkout's index "
        f"(pid {os.getpid()}: "
    )


def test_status_says_stopped_when_nothing_holds_the_address(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    assert index.main(["status"]) == index.STATUS_STOPPED == 3
    assert capsys.readouterr().out == f"index: stopped at http://127.0.0.1:{config.index_port}/simple/\n"


def test_status_names_another_process_on_the_address(
    config: Config, another_listener: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert index.main(["status"]) == index.STATUS_FOREIGN == 4
    out = capsys.readouterr().out
    assert out.startswith(f"index: {foreign_prefix(config)}"), out
    assert f"the pid file {config.run_dir / 'index.pid'} names no running process" in out


def test_start_refuses_another_process_on_the_address(config: Config, another_listener: str) -> None:
    with pytest.raises(CommandError) as refused:
        index.main(["start"])
    assert str(refused.value).startswith(foreign_prefix(config)), refused.value
    assert not (config.run_dir / "index.pid").exists(), "a refused start must record no server"
    assert not (config.index_dir / "htpasswd").exists(), "a refused start must prepare nothing"


def test_up_refuses_before_filling_the_index(config: Config, another_listener: str) -> None:
    # This root holds no release records: filling would fail on them, so the refusal must come first.
    with pytest.raises(CommandError) as refused:
        index.main(["up"])
    assert str(refused.value).startswith(foreign_prefix(config)), refused.value
    assert not config.index_packages_dir.exists()


def test_a_pid_file_naming_a_process_that_does_not_listen_there_is_not_our_index(
    config: Config, http_listener: None, unrelated_process: int, capsys: pytest.CaptureFixture[str]
) -> None:
    record_pid(config, unrelated_process)
    assert index.main(["status"]) == index.STATUS_FOREIGN
    out = capsys.readouterr().out
    assert out.startswith(f"index: {foreign_prefix(config)}"), out
    assert f"names pid {unrelated_process}, which does not listen there" in out
    with pytest.raises(CommandError, match="is served by another process"):
        index.start_index(config)


def test_our_recorded_server_on_the_address_is_running(
    config: Config, http_listener: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # The listener lives in this test's process, so a pid file naming it records the server that listens.
    record_pid(config, os.getpid())
    assert index.main(["status"]) == 0
    assert capsys.readouterr().out == (
        f"index: running at http://127.0.0.1:{config.index_port}/simple/\napis-shared versions: (none)\n"
    )
    assert index.start_index(config) is False


def test_a_recorded_server_that_does_not_answer_is_reported_as_such(
    config: Config, unrelated_process: int, capsys: pytest.CaptureFixture[str]
) -> None:
    pid_file = record_pid(config, unrelated_process)
    assert index.main(["status"]) == index.STATUS_STOPPED
    assert capsys.readouterr().out == (
        f"index: not answering at http://127.0.0.1:{config.index_port}/simple/ (pid {unrelated_process} "
        f"from {pid_file} is alive; see {config.log_dir / 'index.log'})\n"
    )


def test_any_background_server_refuses_to_start_on_an_address_another_process_holds(tmp_path: Path) -> None:
    port = free_port()
    server = BackgroundServer("probe", tmp_path / "run", tmp_path / "logs", f"http://127.0.0.1:{port}/health")
    with serve_silently(port):
        assert server.state() is ServerState.FOREIGN
        with pytest.raises(CommandError) as refused:
            server.start([sys.executable, "-c", "raise SystemExit('must not run')"])
        assert str(refused.value).startswith(
            f"probe: another process already listens at 127.0.0.1:{port} (pid {os.getpid()}: "
        )
        assert not server.pid_file.exists()
    assert server.state() is ServerState.STOPPED


def test_the_command_exits_with_the_foreign_status_against_a_real_other_process(tmp_path: Path) -> None:
    port = free_port()
    other = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not accepts_connections("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.05)
        env = {**os.environ, "APIS_REPO_ROOT": str(tmp_path), "APIS_INDEX_PORT": str(port)}
        env["PYTHONPATH"] = str(ROOT / "scripts")
        status = subprocess.run(
            [sys.executable, "-m", "devtools.index", "status"], env=env, capture_output=True, text=True, check=False
        )
        assert status.returncode == 4, status.stdout + status.stderr
        assert f"is served by another process, not this checkout's index (pid {other.pid}: " in status.stdout
        assert "-m http.server" in status.stdout
        start = subprocess.run(
            [sys.executable, "-m", "devtools.index", "start"], env=env, capture_output=True, text=True, check=False
        )
        assert start.returncode == 1
        assert start.stderr.startswith(f"error: the address 127.0.0.1:{port} is served by another process"), start
    finally:
        other.terminate()
        other.wait(timeout=10)
