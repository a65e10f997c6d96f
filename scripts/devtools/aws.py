"""The embedded AWS endpoint: moto in server mode on loopback.

Services reach it through the standard ``AWS_ENDPOINT_URL`` variable, so the
code path is the one they use against real AWS.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from devtools.proc import BackgroundServer

if TYPE_CHECKING:
    from devtools.config import Config

__all__ = ["AWS_DEV_ENVIRONMENT", "aws_environment", "aws_server", "start_aws"]

# Fixed fake credentials: moto accepts any, and real AWS rejects these.
AWS_DEV_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def aws_environment(config: Config) -> dict[str, str]:
    """The environment a process needs to use the embedded endpoint."""
    return {**AWS_DEV_ENVIRONMENT, "AWS_ENDPOINT_URL": config.aws_endpoint_url}


def aws_server(config: Config) -> BackgroundServer:
    return BackgroundServer("aws", config.run_dir, config.log_dir, f"{config.aws_endpoint_url}/moto-api/")


def start_aws(config: Config) -> bool:
    """Start the embedded endpoint unless it already runs; return whether this call started it."""
    server = aws_server(config)
    if server.pid() is not None and server.is_ready():
        return False
    argv = [sys.executable, "-m", "moto.server", "--host", "127.0.0.1", "--port", str(config.aws_port)]
    # By default moto answers every browser preflight for any origin, which would
    # hide a bucket whose CORS rules S3 would refuse; with this set it follows the
    # bucket's rules, as S3 does (moto reads any non-empty value as true).
    server.start(argv, env={"MOTO_DISABLE_GLOBAL_CORS": "1"}, timeout=60.0)
    return True


def main(argv: list[str] | None = None) -> int:
    import argparse

    from devtools.config import load_config

    parser = argparse.ArgumentParser(prog="scripts/aws", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop", "status", "seed"])
    args = parser.parse_args(argv)
    config = load_config()
    server = aws_server(config)
    if args.command == "start":
        started = start_aws(config)
        print(f"aws: {'started' if started else 'already running'} at {config.aws_endpoint_url}")
    elif args.command == "stop":
        print("aws: stopped" if server.stop() else "aws: was not running")
    elif args.command == "seed":
        from devtools.seed import seed

        seeded = seed(config)
        print(f"aws: seeded {', '.join(seeded)}" if seeded else "aws: already seeded")
    else:
        running = server.pid() is not None and server.is_ready()
        print(f"aws: {'running' if running else 'stopped'} at {config.aws_endpoint_url}")
        return 0 if running else 3
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
