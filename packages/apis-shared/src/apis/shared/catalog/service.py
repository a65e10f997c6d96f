"""Managed-model administration, and which models a user may see.

Access: an enabled model is visible when the user's AppRole permissions hold
``*`` or its ``modelId``, or (legacy) when one of the user's JWT roles is in
``availableToRoles``. Resolving permissions can fail; that failure propagates,
there is no fallback to the legacy list alone.

Calling a model: ``resolve_for_call`` is the one gate for every model call
(a chat turn, a title, a test chat). The model named, or the platform's choice
when none is (the "System Default", the title model), is looked up in the
catalogue and must be enabled, open to the caller and priced; a model that is
not in the catalogue, or has no price, is refused unless the deployment lists
it among its free models.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apis.shared.catalog.models import ManagedModel, ManagedModelCreate, ManagedModelUpdate
from apis.shared.errors import BadRequestError, DependencyUnavailableError, PermissionDeniedError
from apis.shared.quota.cost_models import PricingSnapshot
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from collections.abc import Collection

    from apis.shared.auth.models import User
    from apis.shared.catalog.repository import ManagedModelRepository
    from apis.shared.rbac.models import UserEffectivePermissions
    from apis.shared.rbac.service import AppRoleService

__all__ = ["ManagedModelService", "ModelNotConfiguredError", "ResolvedModel", "can_access_model"]


class ModelNotConfiguredError(DependencyUnavailableError):
    """The platform cannot meter this model: it is not in the catalogue, or has no price (503)."""

    default_message = "The model is not configured on this platform"


@dataclass(frozen=True)
class ResolvedModel:
    """A model a caller may call now, with the prices its cost is recorded at.

    ``managed`` is None only for a free model that is not in the catalogue.
    """

    model_id: str
    managed: ManagedModel | None
    free: bool = False

    @property
    def pricing(self) -> PricingSnapshot:
        model = self.managed
        if model is None:
            return PricingSnapshot(model_id=self.model_id)
        return PricingSnapshot(
            model_id=model.model_id,
            model_name=model.model_name,
            provider=str(model.provider),
            input_price_per_million_tokens=model.input_price_per_million_tokens,
            output_price_per_million_tokens=model.output_price_per_million_tokens,
            cache_write_price_per_million_tokens=model.cache_write_price_per_million_tokens,
            cache_read_price_per_million_tokens=model.cache_read_price_per_million_tokens,
        )

    @property
    def max_output_tokens(self) -> int | None:
        return self.managed.max_output_tokens if self.managed is not None else None

    @property
    def supports_caching(self) -> bool:
        return bool(self.managed is not None and self.managed.supports_caching)


def _is_priced(model: ManagedModel) -> bool:
    return model.input_price_per_million_tokens > 0 or model.output_price_per_million_tokens > 0


def can_access_model(model: ManagedModel, user: User, permissions: UserEffectivePermissions) -> bool:
    if not model.enabled:
        return False
    if permissions.allows_model(model.model_id):
        return True
    return bool(set(user.roles) & set(model.available_to_roles))


class ManagedModelService:
    def __init__(self, repository: ManagedModelRepository, app_roles: AppRoleService | None = None) -> None:
        self._repository = repository
        self._app_roles = app_roles

    def create(self, data: ManagedModelCreate) -> ManagedModel:
        now = utc_timestamp()
        model = ManagedModel(**data.model_dump(by_alias=False), id=uuid.uuid4().hex, created_at=now, updated_at=now)
        return self._repository.create(model)

    def get(self, model_uuid: str) -> ManagedModel:
        return self._repository.get_or_raise(model_uuid)

    def get_by_model_id(self, model_id: str) -> ManagedModel | None:
        return self._repository.get_by_model_id(model_id)

    def list_all(self) -> list[ManagedModel]:
        return self._repository.list_models()

    def update(self, model_uuid: str, data: ManagedModelUpdate) -> ManagedModel:
        current = self._repository.get_or_raise(model_uuid)
        changes = data.model_dump(exclude_unset=True, by_alias=False)
        updated = ManagedModel.model_validate(
            current.model_copy(update={**changes, "updated_at": utc_timestamp()}).model_dump()
        )
        return self._repository.update(current, updated)

    def delete(self, model_uuid: str) -> None:
        self._repository.delete(self._repository.get_or_raise(model_uuid))

    def resolve_for_call(
        self,
        user: User,
        permissions: UserEffectivePermissions,
        model_id: str | None,
        *,
        default_model_id: str,
        free_model_ids: Collection[str] = (),
    ) -> ResolvedModel:
        """The model ``user`` may call for ``model_id``, or for ``default_model_id`` when it is None.

        Named and default models pass the same checks, in this order.

        Raises:
            BadRequestError: a named model is not in the catalogue (400).
            PermissionDeniedError: the model is disabled, or not open to ``user`` (403).
            ModelNotConfiguredError: the default model is not in the catalogue, or the model has
                no price, and it is not among ``free_model_ids`` (503: an administrator must add or
                price it).
        """
        requested = model_id if model_id is not None else default_model_id
        model = self._repository.get_by_model_id(requested)
        if model is None:
            if requested in free_model_ids:
                return ResolvedModel(requested, None, free=True)
            if model_id is None:
                raise ModelNotConfiguredError(
                    f"The platform's model {requested} is not in the model catalogue; "
                    "an administrator must add it with its prices",
                    field="model_id",
                )
            raise BadRequestError(f"Unknown model {requested}", field="model_id")
        if not model.enabled:
            raise PermissionDeniedError(f"Model {requested} is disabled", field="model_id")
        if not can_access_model(model, user, permissions):
            raise PermissionDeniedError(f"Model {requested} is not available to you", field="model_id")
        if not _is_priced(model):
            if requested not in free_model_ids:
                raise ModelNotConfiguredError(
                    f"Model {requested} has no price in the model catalogue; an administrator must price it",
                    field="model_id",
                )
            return ResolvedModel(requested, model, free=True)
        return ResolvedModel(requested, model)

    def accessible_models(self, user: User) -> list[ManagedModel]:
        """The enabled models ``user`` may use (AppRole grants, or the legacy JWT-role list)."""
        if self._app_roles is None:
            raise RuntimeError("ManagedModelService needs an AppRoleService to filter by access")
        permissions = self._app_roles.resolve_user_permissions(user)
        return [model for model in self._repository.list_models() if can_access_model(model, user, permissions)]
