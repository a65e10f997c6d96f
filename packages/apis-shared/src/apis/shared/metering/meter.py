"""One path for every model call: check, call, record.

::

    call = meter.begin(user, model_id=None, default_model_id=title_model, request=build)
    call.refuse_if_over_quota()            # or read call.quota and answer in the stream
    try:
        for event in call.stream(provider):
            ...
    finally:
        call.record(session_id=..., purpose="title")

``begin`` (or ``resolve`` then ``admit``) resolves the model through the
catalogue (``ManagedModelService.resolve_for_call``: enabled, open to the caller,
priced), sets the request's ``max_tokens`` when it has none (so the call has a
bound), and admits it against the caller's quota, reserving the bound. ``stream``
calls the model and watches what it generates. ``record`` charges what was
generated to the caller: the model's own usage report, or, when none arrived
(the client left, the stream failed), tokens estimated from the text sent and
generated, and the record says so (``CostRecord.estimated``). It then gives the
reservation back. A call that never reached the model, or that produced nothing
and reported nothing, is not charged; its reservation is given back all the same.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from apis.shared.errors import ApisError, QuotaExceededError
from apis.shared.metering.estimates import cost_bound, estimated_usage
from apis.shared.providers import TextDelta, UsageReport
from apis.shared.quota import CostRecord, TokenUsage, message_cost
from apis.shared.streaming import build_quota_exceeded_event
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Generator, Sequence
    from decimal import Decimal

    from apis.shared.auth import User
    from apis.shared.catalog import ManagedModelService, ResolvedModel
    from apis.shared.providers import ModelEvent, ModelProvider, ModelRequest
    from apis.shared.quota import CostRepository, PricingSnapshot, QuotaAdmission, QuotaChecker, QuotaCheckResult
    from apis.shared.rbac import AppRoleService, UserEffectivePermissions

__all__ = ["CallPurpose", "Charge", "MeteredCall", "ModelMeter"]

logger = logging.getLogger(__name__)

CallPurpose = Literal["chat", "title", "test_chat"]


@dataclass(frozen=True)
class Charge:
    """What one call costs the caller."""

    usage: TokenUsage
    pricing: PricingSnapshot
    cost: Decimal
    cache_savings: Decimal
    estimated: bool


class MeteredCall:
    """One admitted model call: stream it, then ``record`` it (always, on every path)."""

    def __init__(
        self,
        meter: ModelMeter,
        user: User,
        model: ResolvedModel,
        request: ModelRequest,
        admission: QuotaAdmission | None,
    ) -> None:
        self._meter = meter
        self.user = user
        self.model = model
        self.request = request
        self.admission = admission
        self.called = False
        self.usage: UsageReport | None = None
        self._parts: list[str] = []
        self._recorded = False
        self._released = False
        self._charge: Charge | None = None

    @property
    def quota(self) -> QuotaCheckResult | None:
        """The quota decision (None when quota enforcement is off)."""
        return self.admission.result if self.admission is not None else None

    @property
    def allowed(self) -> bool:
        return self.admission is None or self.admission.allowed

    @property
    def generated(self) -> str:
        return "".join(self._parts)

    def refuse_if_over_quota(self) -> None:
        """Raise ``QuotaExceededError`` (429) when the quota refused the call."""
        result = self.quota
        if result is None or result.allowed:
            return
        self.release()
        event = build_quota_exceeded_event(result)
        raise QuotaExceededError(
            f"You have reached your usage quota. {event.reset_info}",
            metadata={
                "currentUsage": float(event.current_usage),
                "quotaLimit": float(event.quota_limit),
                "percentageUsed": float(event.percentage_used),
                "periodType": event.period_type.value,
            },
        )

    def stream(self, provider: ModelProvider) -> Generator[ModelEvent, None, None]:
        """The model's events for this call's request; closing this closes the model's stream."""
        if not self.allowed:
            raise QuotaExceededError("The quota refused this call")
        self.called = True
        events = provider.stream(self.request)
        try:
            for event in events:
                if isinstance(event, TextDelta):
                    self._parts.append(event.text)
                elif isinstance(event, UsageReport):
                    self.usage = event
                yield event
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()

    def charge(self) -> Charge | None:
        """The call's cost so far: reported usage, else estimated; None when there is nothing to charge."""
        if not self.called:
            return None
        pricing = self.model.pricing
        if self.usage is not None:
            usage = TokenUsage(
                input_tokens=self.usage.input_tokens,
                output_tokens=self.usage.output_tokens,
                cache_read_input_tokens=self.usage.cache_read_input_tokens,
                cache_write_input_tokens=self.usage.cache_write_input_tokens,
            )
            estimated = False
        elif self._parts:
            usage = estimated_usage(self.request, self.generated)
            estimated = True
        else:
            return None
        cost, savings = message_cost(usage, pricing)
        return Charge(usage=usage, pricing=pricing, cost=cost, cache_savings=savings, estimated=estimated)

    def record(
        self, *, session_id: str, message_id: int = 0, purpose: CallPurpose, timestamp: str | None = None
    ) -> Charge | None:
        """Charge the call to its caller (once), then give its reservation back.

        Returns the charge recorded (None when nothing was charged).

        Raises:
            DependencyUnavailableError, DependencyTimeoutError, DependencyThrottledError: the cost
                could not be recorded (the reservation is given back all the same).
        """
        if self._recorded:
            return self._charge
        try:
            charge = self.charge()
            if charge is not None:
                self._meter.costs.record(
                    CostRecord(
                        user_id=self.user.user_id,
                        session_id=session_id,
                        message_id=message_id,
                        timestamp=timestamp or utc_timestamp(),
                        usage=charge.usage,
                        pricing=charge.pricing,
                        cost=charge.cost,
                        cache_savings=charge.cache_savings,
                        estimated=charge.estimated,
                        purpose=purpose,
                    )
                )
            self._charge = charge
            self._recorded = True
        finally:
            self.release()
        return charge

    def release(self) -> None:
        """Give the quota reservation back (idempotent); ``record`` does this itself."""
        if self._released or self.admission is None:
            return
        self._released = True
        try:
            self._meter.release(self.admission)
        except ApisError:
            # JUSTIFICATION: the call is over and its cost is already recorded (or there was
            # none); a reservation that cannot be given back stops counting when it expires,
            # and until then it only holds back this user's next calls. Logged.
            logger.exception("could not release the quota reservation of user %s", self.user.user_id)


class ModelMeter:
    """Resolves, admits and records model calls for every service that calls a model."""

    def __init__(
        self,
        *,
        managed_models: ManagedModelService,
        app_roles: AppRoleService,
        quota: QuotaChecker | None,
        costs: CostRepository,
        free_model_ids: Collection[str] = (),
    ) -> None:
        self._models = managed_models
        self._app_roles = app_roles
        self._quota = quota
        self.costs = costs
        self._free = frozenset(free_model_ids)

    def resolve(
        self,
        user: User,
        model_id: str | None,
        *,
        default_model_id: str,
        permissions: UserEffectivePermissions | None = None,
    ) -> ResolvedModel:
        """The model to call for ``model_id`` (``default_model_id`` when None); see ``resolve_for_call``."""
        permissions = permissions or self._app_roles.resolve_user_permissions(user)
        return self._models.resolve_for_call(
            user, permissions, model_id, default_model_id=default_model_id, free_model_ids=self._free
        )

    def admit(
        self, user: User, model: ResolvedModel, request: ModelRequest, *, app_role_ids: Sequence[str]
    ) -> MeteredCall:
        """Bound the request, and check and reserve the caller's quota for it.

        A refused call is returned too (``allowed`` is False): the chat answers it in
        its stream, other callers raise (``refuse_if_over_quota``).
        """
        if request.max_tokens is None and model.max_output_tokens is not None:
            request = dataclasses.replace(request, max_tokens=model.max_output_tokens)
        admission = None
        if self._quota is not None:
            admission = self._quota.admit(user, app_role_ids, bound=cost_bound(request, model.pricing))
        return MeteredCall(self, user, model, request, admission)

    def begin(
        self,
        user: User,
        *,
        model_id: str | None,
        default_model_id: str,
        request: Callable[[ResolvedModel], ModelRequest],
    ) -> MeteredCall:
        """``resolve`` and ``admit`` in one: ``request`` builds the call for the resolved model."""
        permissions = self._app_roles.resolve_user_permissions(user)
        model = self.resolve(user, model_id, default_model_id=default_model_id, permissions=permissions)
        return self.admit(user, model, request(model), app_role_ids=permissions.app_roles)

    def release(self, admission: QuotaAdmission) -> None:
        if self._quota is not None:
            self._quota.release(admission)
