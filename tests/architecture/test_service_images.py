"""The service images, read as text (no Docker engine runs here): each installs only its own service."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {
    "app-api": {"port": 8000, "health": "/health", "module": "apis.app_api", "prefix": "APP_API_"},
    "inference-api": {"port": 8080, "health": "/ping", "module": "apis.inference_api", "prefix": "INFERENCE_API_"},
}


def instructions(service: str) -> list[tuple[str, str]]:
    text = (ROOT / "services" / service / "Dockerfile").read_text().replace("\\\n", " ")
    parsed = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            parsed.append((keyword.upper(), rest))
    return parsed


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_image_runs_the_service_as_a_non_root_user_with_a_health_check(service: str) -> None:
    spec = SERVICES[service]
    steps = instructions(service)
    final_stage = steps[max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM") :]
    users = [rest for keyword, rest in final_stage if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert ("EXPOSE", str(spec["port"])) in final_stage
    health = " ".join(rest for keyword, rest in final_stage if keyword == "HEALTHCHECK")
    assert f"127.0.0.1:{spec['port']}{spec['health']}" in health
    assert f"{spec['prefix']}PORT={spec['port']}" in " ".join(rest for keyword, rest in final_stage if keyword == "ENV")
    assert final_stage[-1] == ("CMD", f'["python", "-m", "{spec["module"]}"]')


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_image_installs_only_its_own_locked_files_with_hash_checking(service: str) -> None:
    steps = instructions(service)
    copies = [rest for keyword, rest in steps if keyword == "COPY" and "--from=" not in rest]
    sources = {source for rest in copies for source in rest.split()[:-1]}
    assert sources == {"pyproject.toml", "uv.lock", "src"}, "the build context is the service's own folder"
    runs = " ".join(rest for keyword, rest in steps if keyword == "RUN")
    assert "uv export --frozen --no-dev" in runs
    assert "--require-hashes" in runs
    assert "UV_COMPILE_BYTECODE=1" in " ".join(rest for keyword, rest in steps if keyword == "ENV"), "start fast"
    other = next(name for name in SERVICES if name != service)
    assert other not in (ROOT / "services" / service / "Dockerfile").read_text().replace(f"services/{service}", "")
    assert re.search(r"--mount=type=secret,id=index_url", runs), "index credentials are a build secret"
