"""Reading the cost items every writer has left behind, into the cost models.

Three writers share the cost tables:

- this library (1.6 and later): per-model month items carry ``userId``,
  ``totalCost``, ``totalRequests``, ``totalInputTokens``, ``totalOutputTokens`` and
  the per-model cache tokens;
- apis-shared 1.5.0 and earlier: per-model items with ``modelCost``, ``requests``,
  ``inputTokens`` and ``outputTokens``. A month that both wrote has both sets of
  names on one item, each holding its writer's part, so the figure is their sum;
- the original system: the per-model breakdown is a ``modelBreakdown`` map inside
  the monthly item, keyed by the model id with ``.``, ``:`` and ``-`` replaced by
  ``_``; its cost records (``SK = C#<timestamp>#<uuid>``) hold ``tokenUsage`` and
  ``modelInfo{modelId, modelName, provider, pricingSnapshot}`` instead of this
  project's ``usage`` and ``pricing``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from apis.shared.quota.cost_models import (
    CostRecord,
    CostSummary,
    ModelCost,
    PricingSnapshot,
    TokenUsage,
    UserCostTotal,
    message_cost,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "merge_model_costs",
    "model_cost_from_item",
    "original_model_key",
    "record_from_item",
    "summary_from_item",
    "user_total_from_item",
]

_LEGACY_MODEL_NAMES = ("modelCost", "requests", "inputTokens", "outputTokens")
# Between the month and the model id in a per-model item's sort key (PERIOD#<month>#MODEL#<modelId>).
_MODEL_SORT_KEY_INFIX = "#MODEL#"


def original_model_key(model_id: str) -> str:
    """The key the original system gave a model in its ``modelBreakdown`` map."""
    return model_id.replace(".", "_").replace(":", "_").replace("-", "_")


def _number(values: Mapping[str, Any], name: str) -> Decimal:
    value = values.get(name)
    return Decimal(value) if value is not None else Decimal(0)


def _count(values: Mapping[str, Any], name: str) -> int:
    return int(_number(values, name))


def _user_of(values: Mapping[str, Any]) -> str:
    user_id = values.get("userId")
    return str(user_id) if user_id else str(values["PK"]).removeprefix("USER#")


def _period_of(values: Mapping[str, Any]) -> str:
    return str(values["SK"]).removeprefix("PERIOD#").split("#", 1)[0]


def summary_from_item(values: Mapping[str, Any]) -> CostSummary:
    """A monthly or daily summary item, with the per-model costs of an original ``modelBreakdown`` map."""
    summary = CostSummary(
        user_id=_user_of(values),
        period=_period_of(values),
        total_cost=_number(values, "totalCost"),
        total_requests=_count(values, "totalRequests"),
        total_input_tokens=_count(values, "totalInputTokens"),
        total_output_tokens=_count(values, "totalOutputTokens"),
        total_cache_read_tokens=_count(values, "totalCacheReadTokens"),
        total_cache_write_tokens=_count(values, "totalCacheWriteTokens"),
        cache_savings=_number(values, "cacheSavings"),
        last_updated=values.get("lastUpdated"),
    )
    breakdown: Mapping[str, Mapping[str, Any]] = values.get("modelBreakdown") or {}
    legacy = [
        ModelCost(
            model_id=key,
            model_name=str(entry.get("modelName") or ""),
            provider=str(entry.get("provider") or ""),
            cost=_number(entry, "cost"),
            requests=_count(entry, "requests"),
            input_tokens=_count(entry, "inputTokens"),
            output_tokens=_count(entry, "outputTokens"),
            cache_read_tokens=_count(entry, "cacheReadTokens"),
            cache_write_tokens=_count(entry, "cacheWriteTokens"),
        )
        for key, entry in breakdown.items()
    ]
    return summary.model_copy(update={"models": merge_model_costs(legacy)})


def user_total_from_item(values: Mapping[str, Any]) -> UserCostTotal:
    """A monthly item as the period's ranking lists it (only what the original index projects)."""
    return UserCostTotal(
        user_id=_user_of(values),
        period=_period_of(values),
        total_cost=_number(values, "totalCost"),
        total_requests=_count(values, "totalRequests"),
        last_updated=values.get("lastUpdated"),
    )


def model_cost_from_item(values: Mapping[str, Any]) -> ModelCost:
    """A per-model month item (``SK = PERIOD#<month>#MODEL#<modelId>``) of this library or of 1.5.0."""
    legacy = any(name in values for name in _LEGACY_MODEL_NAMES)
    model_id = values.get("modelId") or str(values["SK"]).split(_MODEL_SORT_KEY_INFIX, 1)[1]
    return ModelCost(
        model_id=str(model_id),
        model_name=str(values.get("modelName") or ""),
        provider=str(values.get("provider") or ""),
        cost=_number(values, "totalCost") + _number(values, "modelCost"),
        requests=_count(values, "totalRequests") + _count(values, "requests"),
        input_tokens=_count(values, "totalInputTokens") + _count(values, "inputTokens"),
        output_tokens=_count(values, "totalOutputTokens") + _count(values, "outputTokens"),
        cache_read_tokens=None if legacy else _count(values, "totalCacheReadTokens"),
        cache_write_tokens=None if legacy else _count(values, "totalCacheWriteTokens"),
    )


def _optional_sum(first: int | None, second: int | None) -> int | None:
    return None if first is None or second is None else first + second


def _combined(model: ModelCost, other: ModelCost) -> ModelCost:
    return model.model_copy(
        update={
            "model_name": model.model_name or other.model_name,
            "provider": model.provider or other.provider,
            "cost": model.cost + other.cost,
            "requests": model.requests + other.requests,
            "input_tokens": model.input_tokens + other.input_tokens,
            "output_tokens": model.output_tokens + other.output_tokens,
            "cache_read_tokens": _optional_sum(model.cache_read_tokens, other.cache_read_tokens),
            "cache_write_tokens": _optional_sum(model.cache_write_tokens, other.cache_write_tokens),
        }
    )


def merge_model_costs(
    models: Iterable[ModelCost], original: Iterable[ModelCost] = (), *, known_model_ids: Iterable[str] = ()
) -> list[ModelCost]:
    """One entry per model, most expensive first.

    ``original`` are entries of an original ``modelBreakdown`` map, keyed by
    ``original_model_key``. An entry whose key is that of a model id in ``models``
    or in ``known_model_ids`` (every id seen in the period, for instance) is added
    to that model under its id; ``models`` come first when two ids share a key.
    An entry that matches no id keeps its key.
    """
    merged: dict[str, ModelCost] = {}
    for model in models:
        known = merged.get(model.model_id)
        merged[model.model_id] = model if known is None else _combined(known, model)
    by_original_key: dict[str, str] = {}
    for model_id in [*merged, *sorted(known_model_ids)]:
        by_original_key.setdefault(original_model_key(model_id), model_id)
    for entry in original:
        model_id = by_original_key.get(entry.model_id, entry.model_id)
        named = entry.model_copy(update={"model_id": model_id})
        known = merged.get(model_id)
        merged[model_id] = named if known is None else _combined(known, named)
    return sorted(merged.values(), key=lambda model: (-model.cost, model.model_id))


def record_from_item(values: Mapping[str, Any]) -> CostRecord:
    """A per-message cost record, written by this project (``usage``/``pricing``) or the original system.

    The original stored no cache savings; they are priced from its pricing
    snapshot exactly as ``message_cost`` prices them.
    """
    if "usage" in values and "pricing" in values:
        return CostRecord.model_validate(values)
    info: Mapping[str, Any] = values.get("modelInfo") or {}
    snapshot: Mapping[str, Any] = info.get("pricingSnapshot") or {}
    attribution: Mapping[str, Any] = values.get("attribution") or {}
    pricing = PricingSnapshot(
        model_id=str(info.get("modelId") or "unknown"),
        model_name=str(info.get("modelName") or ""),
        provider=str(info.get("provider") or "unknown"),
        input_price_per_million_tokens=_number(snapshot, "inputPricePerMtok"),
        output_price_per_million_tokens=_number(snapshot, "outputPricePerMtok"),
        cache_write_price_per_million_tokens=snapshot.get("cacheWritePricePerMtok"),
        cache_read_price_per_million_tokens=snapshot.get("cacheReadPricePerMtok"),
    )
    usage = TokenUsage.model_validate(values.get("tokenUsage") or {})
    return CostRecord(
        user_id=str(values.get("userId") or attribution.get("userId") or _user_of(values)),
        session_id=str(values.get("sessionId") or attribution.get("sessionId") or ""),
        message_id=_count(values, "messageId"),
        timestamp=str(values.get("timestamp") or attribution.get("timestamp") or values["GSI1SK"]),
        usage=usage,
        pricing=pricing,
        cost=_number(values, "cost"),
        cache_savings=message_cost(usage, pricing)[1],
    )
