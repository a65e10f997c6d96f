"""Where things are, and the fixed local addresses every command agrees on.

The dev/CI index listens on a fixed loopback address because each service's
uv.lock records the index URL, port included. Each value can be overridden by
an environment variable, which the release tests use to run a private copy of
the whole loop on free ports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SERVICES", "Config", "ServiceSpec", "load_config"]

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ServiceSpec:
    """A deployable service of the repository."""

    name: str
    module: str
    port: int
    health_path: str
    env_prefix: str

    def directory(self, root: Path) -> Path:
        return root / "services" / self.name


SERVICES: dict[str, ServiceSpec] = {
    "app-api": ServiceSpec("app-api", "apis.app_api", 8000, "/health", "APP_API_"),
    "inference-api": ServiceSpec("inference-api", "apis.inference_api", 8080, "/ping", "INFERENCE_API_"),
}


@dataclass(frozen=True)
class Config:
    """Paths and addresses of one checkout."""

    root: Path
    index_host: str
    index_port: int
    aws_port: int

    @property
    def library_dir(self) -> Path:
        return self.root / "packages" / "apis-shared"

    @property
    def library_source_path(self) -> str:
        return "packages/apis-shared"

    @property
    def records_file(self) -> Path:
        return self.root / "releases" / "apis-shared.json"

    @property
    def local_dir(self) -> Path:
        return self.root / ".local"

    @property
    def index_dir(self) -> Path:
        return self.local_dir / "index"

    @property
    def index_packages_dir(self) -> Path:
        return self.index_dir / "packages"

    @property
    def index_url(self) -> str:
        return f"http://{self.index_host}:{self.index_port}"

    @property
    def index_simple_url(self) -> str:
        return f"{self.index_url}/simple/"

    @property
    def aws_endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    @property
    def run_dir(self) -> Path:
        return self.local_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.local_dir / "logs"


def load_config(root: Path | None = None) -> Config:
    """Read the checkout's config, honouring ``APIS_INDEX_PORT`` and ``APIS_AWS_PORT``."""
    return Config(
        root=root or Path(os.environ.get("APIS_REPO_ROOT", REPO_ROOT)),
        index_host="127.0.0.1",
        index_port=int(os.environ.get("APIS_INDEX_PORT", "3141")),
        aws_port=int(os.environ.get("APIS_AWS_PORT", "4566")),
    )
