"""Token figures the model did not report: an estimate for charging, a bound for reserving.

When a call ends without the model's usage report (the client left, the stream
failed), what was generated is charged from estimated tokens, about four
characters a token: the rule of thumb model vendors give for English text.
Input is counted as sent: every text block and the system prompt at four
characters a token, an image at ``IMAGE_TOKENS`` (the size Anthropic gives for
an image near the largest it reads), a document at four bytes a token.

Reserving a call's quota needs the opposite, a figure the call cannot exceed:
text tokens are at most its UTF-8 bytes (byte-level tokenizers never make a
token of less than a byte), an image at most ``IMAGE_TOKEN_BOUND``, a document
at most its bytes; output is at most the request's ``max_tokens``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from apis.shared.providers import DocumentBlock, ImageBlock, TextBlock
from apis.shared.quota import TokenUsage

if TYPE_CHECKING:
    from apis.shared.providers import ModelRequest
    from apis.shared.quota import PricingSnapshot

__all__ = [
    "CHARS_PER_TOKEN",
    "IMAGE_TOKENS",
    "IMAGE_TOKEN_BOUND",
    "cost_bound",
    "estimated_input_tokens",
    "estimated_tokens",
    "estimated_usage",
    "input_token_bound",
]

CHARS_PER_TOKEN = 4
IMAGE_TOKENS = 1_600
# Anthropic models scale images to at most about 1.15 megapixels, ~1,600 tokens; 3,300 covers
# the largest image any Bedrock chat model reads (1568 x 1568 at 750 pixels a token).
IMAGE_TOKEN_BOUND = 3_300
_MILLION = Decimal(1_000_000)


def estimated_tokens(text: str) -> int:
    """About four characters a token, rounded up; no text is no tokens."""
    return -(-len(text) // CHARS_PER_TOKEN)


def estimated_input_tokens(request: ModelRequest) -> int:
    tokens = estimated_tokens(request.system_prompt or "")
    for turn in request.messages:
        for block in turn.content:
            if isinstance(block, TextBlock):
                tokens += estimated_tokens(block.text)
            elif isinstance(block, ImageBlock):
                tokens += IMAGE_TOKENS
            elif isinstance(block, DocumentBlock):
                tokens += -(-len(block.data) // CHARS_PER_TOKEN)
    return tokens


def estimated_usage(request: ModelRequest, generated: str) -> TokenUsage:
    """What a call that reported no usage is charged for: its input as sent and the text it generated."""
    return TokenUsage(input_tokens=estimated_input_tokens(request), output_tokens=estimated_tokens(generated))


def input_token_bound(request: ModelRequest) -> int:
    tokens = len((request.system_prompt or "").encode())
    for turn in request.messages:
        for block in turn.content:
            if isinstance(block, TextBlock):
                tokens += len(block.text.encode())
            elif isinstance(block, ImageBlock):
                tokens += IMAGE_TOKEN_BOUND
            elif isinstance(block, DocumentBlock):
                tokens += len(block.data)
    return tokens


def cost_bound(request: ModelRequest, pricing: PricingSnapshot) -> Decimal:
    """The most ``request`` can cost at ``pricing``: every input token at the dearest input price
    (plain, cache write or cache read) and ``max_tokens`` of output (none when it is not set)."""
    input_prices = [
        pricing.input_price_per_million_tokens,
        pricing.cache_write_price_per_million_tokens or Decimal(0),
        pricing.cache_read_price_per_million_tokens or Decimal(0),
    ]
    output_tokens = request.max_tokens or 0
    total = (
        Decimal(input_token_bound(request)) * max(input_prices)
        + Decimal(output_tokens) * pricing.output_price_per_million_tokens
    )
    return total / _MILLION
