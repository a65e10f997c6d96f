"""schemathesis against inference-api's schema: no server error, every status documented, every error the envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.inference_api.conftest import person
from tests.support.fuzz import fuzz_app

if TYPE_CHECKING:
    from fastapi import FastAPI

pytestmark = pytest.mark.fuzz


def test_fuzzing_every_operation_finds_nothing(app: FastAPI) -> None:
    run = fuzz_app(app, person("111111111", "ada@example.edu"))
    assert run.operations == 2
    assert run.failures == [], run.report()
