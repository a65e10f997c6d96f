"""Run the platform locally: private index, embedded AWS endpoint, both services on their pins.

    scripts/dev [up] [--detach]     start everything (foreground: Ctrl-C stops what it started)
    scripts/dev down [--all]        stop what `scripts/dev up` started (--all: every server of the checkout)
    scripts/dev status              what runs, where
    scripts/dev token [--admin] [--user ID]   print a fresh access token for curl and scripts

Services run in development mode against the embedded AWS endpoint, each from
its own environment synced from its own uv.lock, so each runs the apis-shared
release it pins. They verify tokens of a local OIDC provider (`scripts/dev token`),
which is also where people sign in to the web client (http://localhost:4200 via
app-api's /auth routes), app-api answers with the local model and a SQLite
knowledge base, and the document ingestion worker reads the S3 events of the
documents bucket. Ports: APIS_APP_API_PORT (8000), APIS_INFERENCE_API_PORT (8080),
APIS_INDEX_PORT (3141), APIS_AWS_PORT (4566), APIS_ISSUER_PORT (8090),
APIS_WORKER_PORT (8002). More web client origins: APIS_WEB_ORIGINS (comma-separated).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from devtools.aws import aws_environment, aws_server, start_aws
from devtools.build import uv_command
from devtools.config import SERVICES, Config, ServiceSpec, load_config
from devtools.errors import CommandError
from devtools.index import index_server, start_index
from devtools.issuer import environment_for, issue_token, issuer_server, issuer_url, start_issuer, valid_user_id
from devtools.pin import current_pin
from devtools.proc import BackgroundServer
from devtools.rebuild import fill_index
from devtools.seed import ingestion_queue_url, seed
from devtools.web_client import DEFAULT_WEB_ORIGINS, WEB_CLIENT_ID, app_api_oidc_environment, web_origins

if TYPE_CHECKING:
    from pathlib import Path
    from types import FrameType

__all__ = ["main", "service_port", "service_server", "start_service", "start_worker", "worker_server"]


def service_port(spec: ServiceSpec) -> int:
    variable = f"APIS_{spec.name.upper().replace('-', '_')}_PORT"
    return int(os.environ.get(variable, str(spec.port)))


def service_server(config: Config, spec: ServiceSpec) -> BackgroundServer:
    url = f"http://127.0.0.1:{service_port(spec)}{spec.health_path}"
    return BackgroundServer(spec.name, config.run_dir, config.log_dir, url)


def sync_service(config: Config, spec: ServiceSpec) -> None:
    """Install the service and exactly its locked dependencies into its own environment."""
    # Compiled bytecode: the machine may forbid writing .pyc files at run time,
    # and compiling FastAPI on every start costs most of a second.
    command = [
        *uv_command(), "sync", "--locked", "--quiet", "--compile-bytecode",
        "--project", str(spec.directory(config.root)),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise CommandError(f"uv sync of {spec.name} failed:\n{result.stderr.strip()}")


def worker_port() -> int:
    return int(os.environ.get("APIS_WORKER_PORT", "8002"))


def worker_server(config: Config) -> BackgroundServer:
    url = f"http://127.0.0.1:{worker_port()}/health"
    return BackgroundServer("ingestion-worker", config.run_dir, config.log_dir, url)


def service_environment(config: Config, spec: ServiceSpec) -> dict[str, str]:
    prefix = spec.env_prefix
    env = {
        **aws_environment(config),
        **environment_for(prefix),
        f"{prefix}ENVIRONMENT": "development",
        f"{prefix}HOST": "127.0.0.1",
        f"{prefix}PORT": str(service_port(spec)),
        f"{prefix}LOG_JSON": "false",
        f"{prefix}AWS_ENDPOINT_URL": config.aws_endpoint_url,
        # Local stand-ins for Bedrock and S3 Vectors; both refuse to run outside development.
        f"{prefix}MODEL_PROVIDER": "local",
        f"{prefix}KNOWLEDGE_BASE": "local",
        f"{prefix}KNOWLEDGE_BASE_PATH": str(config.local_dir / "dev" / "knowledge-base.sqlite"),
    }
    # The web client's origins, APIS_WEB_ORIGINS included, may call both services from a browser.
    env[f"{prefix}CORS_ALLOW_ORIGINS"] = json.dumps(list(web_origins()))
    if spec.name == "app-api":
        env[f"{prefix}INGESTION_QUEUE_URL"] = ingestion_queue_url(config)
        env[f"{prefix}WORKER_PORT"] = str(worker_port())
        env |= app_api_oidc_environment(config, issuer_url())
    return env


def start_service(config: Config, spec: ServiceSpec) -> bool:
    server = service_server(config, spec)
    if server.pid() is not None and server.is_ready():
        return False
    sync_service(config, spec)
    python = spec.directory(config.root) / ".venv" / "bin" / "python"
    server.start([str(python), "-m", spec.module], env=service_environment(config, spec), cwd=config.root, timeout=60.0)
    return True


def start_worker(config: Config) -> bool:
    """The document ingestion worker, from app-api's environment (synced by start_service)."""
    server = worker_server(config)
    if server.pid() is not None and server.is_ready():
        return False
    spec = SERVICES["app-api"]
    python = spec.directory(config.root) / ".venv" / "bin" / "python"
    env = service_environment(config, spec)
    server.start([str(python), "-m", "apis.app_api.ingestion"], env=env, cwd=config.root, timeout=60.0)
    return True


def _servers(config: Config) -> list[BackgroundServer]:
    services = [service_server(config, spec) for spec in SERVICES.values()]
    return [worker_server(config), *services, issuer_server(config), aws_server(config), index_server(config)]


def up(config: Config, *, detach: bool) -> int:
    started: list[BackgroundServer] = []
    try:
        fill_index(config)
        if start_index(config):
            started.append(index_server(config))
        if start_aws(config):
            started.append(aws_server(config))
        if start_issuer(config):
            started.append(issuer_server(config))
        seeded = seed(config)
        if seeded:
            print(f"seeded the embedded AWS endpoint: {', '.join(seeded)}")
        for spec in SERVICES.values():
            if start_service(config, spec):
                started.append(service_server(config, spec))
        if start_worker(config):
            started.append(worker_server(config))
    except BaseException:
        for server in reversed(started):
            server.stop()
        raise
    _remember_started(config, started)
    _print_summary(config)
    if detach:
        print("Detached. Stop everything with `scripts/dev down`.")
        return 0
    return _wait_then_stop(started)


def _started_file(config: Config) -> Path:
    return config.run_dir / "dev-started"


def _remember_started(config: Config, started: list[BackgroundServer]) -> None:
    names = set(_started_file(config).read_text().split()) if _started_file(config).exists() else set()
    names |= {server.name for server in started}
    config.run_dir.mkdir(parents=True, exist_ok=True)
    _started_file(config).write_text("\n".join(sorted(names)) + "\n")


def down(config: Config, *, everything: bool) -> int:
    """Stop the servers `up` started (a server that ran before `up` keeps running), or all of them."""
    remembered = set(_started_file(config).read_text().split()) if _started_file(config).exists() else set()
    for server in _servers(config):
        if (everything or server.name in remembered) and server.stop():
            print(f"{server.name}: stopped")
    _started_file(config).unlink(missing_ok=True)
    return 0


def _print_summary(config: Config) -> None:
    print()
    print(f"  private index      {config.index_simple_url}")
    print(f"  AWS endpoint       {config.aws_endpoint_url}  (moto; AWS_ENDPOINT_URL for boto3)")
    for spec in SERVICES.values():
        pin = current_pin((spec.directory(config.root) / "pyproject.toml").read_text())
        url = f"http://127.0.0.1:{service_port(spec)}"
        print(f"  {spec.name:<18} {url}  (apis-shared {pin}; try {url}{spec.health_path})")
    print(f"  ingestion worker   {worker_server(config).ready_url}")
    issuer = issuer_url()
    print(f"  OIDC issuer        {issuer}  (sign-in page {issuer}/authorize for client {WEB_CLIENT_ID})")
    # The web client's local build calls the inference API on this port.
    needs = "" if service_port(SERVICES["inference-api"]) == 8001 else "; needs APIS_INFERENCE_API_PORT=8001"
    origins = web_origins()
    for origin in (origins[0], *origins[len(DEFAULT_WEB_ORIGINS) :]):
        print(f"  web client         {origin}  (sign in at {origin}/auth/login{needs})")
    print(f"  logs               {config.log_dir}/")
    print()
    print("  user token   (also `scripts/dev token`):")
    print(f"    {issue_token(config)}")
    print("  admin token  (also `scripts/dev token --admin`):")
    print(f"    {issue_token(config, admin=True)}")
    print()
    app = f"http://127.0.0.1:{service_port(SERVICES['app-api'])}"
    print(f'  try: curl -H "Authorization: Bearer $(scripts/dev token)" {app}/models')
    print()


def _wait_then_stop(started: list[BackgroundServer]) -> int:
    stopping = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    print("Running. Press Ctrl-C to stop.", flush=True)
    status = 0
    while not stopping:
        dead = [server for server in started if server.pid() is None]
        if dead:
            for server in dead:
                print(f"{server.name} exited; last lines of {server.log_file}:\n{server.log_tail()}")
            status = 1
            break
        time.sleep(0.5)
    for server in reversed(started):
        server.stop()
    print("Stopped.")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/dev", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    up_parser = sub.add_parser("up", help="start everything (the default)")
    up_parser.add_argument("--detach", action="store_true", help="return once everything answers")
    down_parser = sub.add_parser("down", help="stop what `up` started")
    down_parser.add_argument("--all", action="store_true", help="stop every server of this checkout")
    sub.add_parser("status", help="what runs, where")
    token_parser = sub.add_parser("token", help="print a fresh access token of the local issuer")
    token_parser.add_argument("--admin", action="store_true", help="with the admin and system-admin roles")
    token_parser.add_argument("--user", metavar="ID", help="the user id (employee number claim, 9 digits)")
    token_parser.add_argument("--email", help="the email claim")
    token_parser.add_argument("--name", help="the name claim")
    args = parser.parse_args(argv)
    config = load_config()
    if args.command == "token":
        if args.user is not None and not valid_user_id(args.user):
            print("error: --user must be 9 digits (the services' user id rule, e.g. 100000001)", file=sys.stderr)
            return 2
        print(issue_token(config, admin=args.admin, user_id=args.user, email=args.email, name=args.name))
        return 0
    if args.command in (None, "up"):
        return up(config, detach=getattr(args, "detach", False))
    if args.command == "down":
        return down(config, everything=args.all)
    for server in _servers(config):
        running = server.pid() is not None and server.is_ready()
        print(f"{server.name:<14} {'running' if running else 'stopped':<8} {server.ready_url}")
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
