"""Money: ``Decimal`` in Python and in DynamoDB, a JSON number on the wire.

Prices (the model catalogue), limits (quota) and costs all use this one type.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer

__all__ = ["Money"]

Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
