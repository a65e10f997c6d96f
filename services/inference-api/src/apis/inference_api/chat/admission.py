"""Admission: the model a turn may call, and the quota's decision on calling it.

Both happen while an HTTP status can still refuse the request: a provider the
platform does not run is a 400; a model that is unknown, disabled, not open to
the caller or unpriced is refused by the catalogue (through ``ModelMeter``).
The quota's refusal is not an error here: the chat answers it in its stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apis.shared.errors import BadRequestError
from apis.shared.streaming import build_quota_exceeded_event, build_quota_warning_event

if TYPE_CHECKING:
    from apis.inference_api.chat.models import InvocationRequest
    from apis.shared.auth import User
    from apis.shared.catalog import ResolvedModel
    from apis.shared.metering import MeteredCall, ModelMeter
    from apis.shared.providers import ModelRequest
    from apis.shared.rbac import AppRoleService
    from apis.shared.streaming import QuotaExceededEvent, QuotaWarningEvent

__all__ = ["AdmittedCall", "ModelChoice", "TurnAdmission"]


@dataclass(frozen=True)
class ModelChoice:
    """The model a turn calls, and the caller's app roles its quota is counted under."""

    model: ResolvedModel
    app_role_ids: tuple[str, ...]


@dataclass(frozen=True)
class AdmittedCall:
    """A call the quota has decided on: ``quota_exceeded`` when refused, else a warning if one is due."""

    call: MeteredCall
    quota_warning: QuotaWarningEvent | None = None
    quota_exceeded: QuotaExceededEvent | None = None


class TurnAdmission:
    def __init__(self, *, app_roles: AppRoleService, meter: ModelMeter, default_model_id: str) -> None:
        self._app_roles = app_roles
        self._meter = meter
        self._default_model_id = default_model_id

    def choose_model(self, user: User, body: InvocationRequest) -> ModelChoice:
        """The model named by the request or, for ``model_id: null``, the configured default,
        checked and priced the same way.

        Raises:
            BadRequestError: a provider other than Bedrock (400).
            ApisError: the catalogue refused the model (see ``ManagedModelService.resolve_for_call``).
        """
        if body.provider not in (None, "bedrock"):
            raise BadRequestError(f"The {body.provider} provider is not available on this platform", field="provider")
        permissions = self._app_roles.resolve_user_permissions(user)
        model = self._meter.resolve(user, body.model_id, default_model_id=self._default_model_id,
                                    permissions=permissions)  # fmt: skip
        return ModelChoice(model=model, app_role_ids=tuple(permissions.app_roles))

    def admit(self, user: User, choice: ModelChoice, request: ModelRequest) -> AdmittedCall:
        """Reserve the request's cost bound against the caller's quota (when enforced)."""
        call = self._meter.admit(user, choice.model, request, app_role_ids=choice.app_role_ids)
        quota = call.quota
        if quota is None:
            return AdmittedCall(call)
        if not quota.allowed:
            return AdmittedCall(call, quota_exceeded=build_quota_exceeded_event(quota))
        return AdmittedCall(call, quota_warning=build_quota_warning_event(quota))
