"""The seed's managed-model functions, as awaitables over an explicit service (run in a worker thread)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apis.shared.models.models import ManagedModel
    from apis.shared.models.service import ManagedModelService

__all__ = ["get_managed_model", "list_managed_models"]


async def list_managed_models(*, service: ManagedModelService) -> list[ManagedModel]:
    """Every managed model. Storage failures propagate (never an empty list)."""
    return await asyncio.to_thread(service.list_all)


async def get_managed_model(model_id: str, *, service: ManagedModelService) -> ManagedModel | None:
    """The managed model with this ``modelId`` (the provider's id), or None."""
    return await asyncio.to_thread(service.get_by_model_id, model_id)
