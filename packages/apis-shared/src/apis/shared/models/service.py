"""Managed-model administration, and which models a user may see.

Access: an enabled model is visible when the user's AppRole permissions hold
``*`` or its ``modelId``, or (legacy) when one of the user's JWT roles is in
``availableToRoles``. Resolving permissions can fail; that failure propagates,
there is no fallback to the legacy list alone.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from apis.shared.models.models import ManagedModel, ManagedModelCreate, ManagedModelUpdate
from apis.shared.sessions.store import utc_timestamp

if TYPE_CHECKING:
    from apis.shared.auth.models import User
    from apis.shared.models.repository import ManagedModelRepository
    from apis.shared.rbac.models import UserEffectivePermissions
    from apis.shared.rbac.service import AppRoleService

__all__ = ["ManagedModelService", "can_access_model"]


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

    def accessible_models(self, user: User) -> list[ManagedModel]:
        """The enabled models ``user`` may use (AppRole grants, or the legacy JWT-role list)."""
        if self._app_roles is None:
            raise RuntimeError("ManagedModelService needs an AppRoleService to filter by access")
        permissions = self._app_roles.resolve_user_permissions(user)
        return [model for model in self._repository.list_models() if can_access_model(model, user, permissions)]
