"""`scripts/uv` runs the uv the other scripts use, so the README's uv commands work without a uv of one's own."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UV_VERSION = re.search(r'^APIS_UV_VERSION="([^"]+)"$', (ROOT / "scripts/_lib.sh").read_text(), re.MULTILINE)


def run_wrapper(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Without APIS_UV the wrapper finds uv as every script does: on PATH, else the one in .local/tools.
    env = {key: value for key, value in os.environ.items() if key != "APIS_UV"}
    return subprocess.run(
        [str(ROOT / "scripts" / "uv"), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_it_prints_the_version_of_a_uv_the_scripts_accept(tmp_path: Path) -> None:
    result = run_wrapper("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    match = re.fullmatch(r"uv (\d+\.\d+\.\d+)( .*)?\n", result.stdout)
    assert match, result.stdout
    assert UV_VERSION
    assert version_tuple(match.group(1)) >= version_tuple(UV_VERSION.group(1))


def test_it_passes_arguments_and_the_exit_status_through(tmp_path: Path) -> None:
    result = run_wrapper("no-such-command", cwd=tmp_path)
    assert result.returncode == 2
    assert "unrecognized subcommand 'no-such-command'" in result.stderr
