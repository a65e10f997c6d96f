"""``to_item``: a number DynamoDB cannot store is the caller's 422 naming the attribute, never a 500."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from apis.shared.aws import UnstorableNumberError, to_item
from apis.shared.errors import InputValidationError
from apis.shared.http import install_error_handlers


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("monthlyCostLimit", 2.110467897610613e-286),  # below DynamoDB's smallest magnitude, 1E-130
        ("cacheWritePricePerMillionTokens", 3.228814648350511e307),  # above its largest, 9.99…E+125
        ("maxInputTokens", 10**40),  # more than its 38 significant digits
        ("monthlyCostLimit", Decimal("1.000000000000000000000000000000000000001")),
    ],
)
def test_a_number_out_of_dynamodbs_range_is_an_input_validation_error(attribute: str, value: Any) -> None:
    with pytest.raises(UnstorableNumberError) as raised:
        to_item({"PK": "TIER#t", attribute: value})
    assert isinstance(raised.value, InputValidationError)
    assert raised.value.field == attribute
    assert raised.value.message == f"{attribute} is not a number the platform can store"
    assert raised.value.detail == (
        "numbers have at most 38 significant digits and a magnitude between 1E-130 and 9.99E+125"
    )


def test_a_nested_number_names_the_top_level_attribute() -> None:
    with pytest.raises(UnstorableNumberError) as raised:
        to_item({"PK": "M#1", "pricing": {"input": 1e-200}})
    assert raised.value.field == "pricing"


def test_numbers_in_range_are_stored_exactly() -> None:
    item = to_item({"small": 1e-130, "large": Decimal("9.99E+125"), "digits": 10**37, "price": 0.1})
    assert item == {"small": {"N": "1E-130"}, "large": {"N": "9.99E+125"}, "digits": {"N": str(10**37)},
                    "price": {"N": "0.1"}}  # fmt: skip


def test_through_the_error_handlers_it_is_a_422_envelope() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/tiers")
    def create_tier() -> None:
        to_item({"monthlyCostLimit": 2e-286})

    response = TestClient(app).post("/tiers")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error.pop("requestId")
    assert error == {
        "code": "validation_error",
        "message": "monthlyCostLimit is not a number the platform can store",
        "detail": "numbers have at most 38 significant digits and a magnitude between 1E-130 and 9.99E+125",
        "field": "monthlyCostLimit",
    }
