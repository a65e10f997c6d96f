"""Metering of model calls: the one path from the catalogue and the quota, through the call, to its cost."""

from apis.shared.metering.estimates import (
    CHARS_PER_TOKEN,
    IMAGE_TOKEN_BOUND,
    IMAGE_TOKENS,
    cost_bound,
    estimated_input_tokens,
    estimated_tokens,
    estimated_usage,
    input_token_bound,
)
from apis.shared.metering.meter import CallPurpose, Charge, MeteredCall, ModelMeter

__all__ = [
    "CHARS_PER_TOKEN",
    "IMAGE_TOKENS",
    "IMAGE_TOKEN_BOUND",
    "CallPurpose",
    "Charge",
    "MeteredCall",
    "ModelMeter",
    "cost_bound",
    "estimated_input_tokens",
    "estimated_tokens",
    "estimated_usage",
    "input_token_bound",
]
