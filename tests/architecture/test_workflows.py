"""The GitHub workflows call only what the repository has, and the pipelines of issue #12 are wired."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SCRIPT = re.compile(r"(?<![\w/.-])scripts/([a-z][a-z0-9-]*)")


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def run_lines(workflow: dict) -> str:
    return "\n".join(
        step.get("run", "") for job in workflow["jobs"].values() for step in job.get("steps", []) if "run" in step
    )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_script_a_workflow_runs_exists_and_is_executable(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    for name in SCRIPT.findall(run_lines(workflow)):
        script = ROOT / "scripts" / name
        assert script.is_file(), f"{path.name} runs scripts/{name}, which does not exist"
        assert os.access(script, os.X_OK), f"scripts/{name} is not executable"


def test_the_library_pipeline_runs_the_api_guard_on_every_library_change() -> None:
    workflow = load("apis-shared.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "packages/apis-shared/**" in triggers["push"]["paths"]
    assert "packages/apis-shared/**" in triggers["pull_request"]["paths"]
    assert "scripts/test api " in run_lines(workflow)
    assert load("ci.yml")["jobs"]["test"]["steps"][-1]["run"] == "bash .ci/run"


def test_a_release_tag_opens_one_pin_bump_per_service() -> None:
    workflow = load("pin-bump.yml")
    assert workflow[True]["push"]["tags"] == ["apis-shared-v*"]
    job = workflow["jobs"]["bump"]
    assert job["strategy"]["matrix"]["service"] == ["app-api", "inference-api"]
    steps = run_lines(workflow)
    assert 'scripts/bump-pins "${{ matrix.service }}"' in steps
    assert 'scripts/test locks "${{ matrix.service }}"' in steps
    assert "gh pr create" in steps


def test_the_matrix_job_runs_the_matrix_command() -> None:
    assert "scripts/matrix" in run_lines(load("matrix.yml"))
