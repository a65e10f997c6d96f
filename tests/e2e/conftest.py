"""One sandbox for the whole e2e suite: each test starts the dev stack it needs and stops it again.

Making a sandbox (a clone, its index filled by rebuilding every release, the
services' environments) is most of an e2e test's cost; the modules share it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.sandbox import Sandbox, running_sandbox

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as box:
        yield box
