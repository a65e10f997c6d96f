"""Which apis-shared a service's test run really imports, checked against the service's pin."""

from __future__ import annotations

import os
import re
from importlib.metadata import version
from pathlib import Path

import apis.shared

ROOT = Path(__file__).resolve().parents[2]
LIBRARY_SOURCE = ROOT / "packages" / "apis-shared" / "src"
# Set by `scripts/test` and `scripts/matrix`: "editable" when a service's tests
# run against the working-tree library (`uv run --with-editable`), "release:X.Y.Z"
# when they run on a copy of the service pinned to another release; unset (or
# empty) on the service's own pin.
EDITABLE_ENV = "APIS_SHARED_UNDER_TEST"


def pinned_version(service: str) -> str:
    text = (ROOT / "services" / service / "pyproject.toml").read_text()
    match = re.search(r'"apis-shared(?:\[[^\]]*\])?==([^"]+)"', text)
    assert match, f"no exact apis-shared pin in services/{service}/pyproject.toml"
    return match.group(1)


def assert_runs_on_its_pin(service: str) -> None:
    """The imported library is the pinned release, or the working tree when testing an unreleased library."""
    imported_from = Path(apis.shared.__file__).resolve()
    assert apis.shared.__version__ == version("apis-shared")
    under_test = os.environ.get(EDITABLE_ENV, "")
    if under_test == "editable":
        assert imported_from.is_relative_to(LIBRARY_SOURCE), imported_from
    elif under_test.startswith("release:"):
        assert apis.shared.__version__ == under_test.removeprefix("release:")
        assert not imported_from.is_relative_to(LIBRARY_SOURCE), f"{service} must test the released wheel"
    else:
        assert apis.shared.__version__ == pinned_version(service)
        assert not imported_from.is_relative_to(LIBRARY_SOURCE), f"{service} must test its pinned wheel"
