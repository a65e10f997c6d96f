"""Fixtures shared by the slow suites (tests/release, tests/e2e)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.sandbox import Sandbox, running_sandbox

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as box:
        yield box
