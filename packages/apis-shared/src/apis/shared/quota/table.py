"""Tables of the quota system.

- ``QUOTAS_TABLE`` (user-quotas): tiers ``QUOTA_TIER#<id>``, assignments ``ASSIGNMENT#<id>``,
  overrides ``OVERRIDE#<id>``, all with ``SK = METADATA``; indexes find assignments by type,
  user, JWT role and AppRole (the AppRole index was missing from the old stack) and a
  user's overrides by end of validity.
- ``QUOTA_EVENTS_TABLE``: ``PK = USER#<id>``, ``SK = EVENT#<timestamp>#<eventId>``; by tier; by event
  type and time (``EventTypeTimeIndex`` on the ``eventType`` and ``timestamp`` every event has had
  from the start, so adding the index to an existing table back-fills it with no data migration).
- ``COST_SUMMARY_TABLE``: ``PK = USER#<id>``, ``SK = PERIOD#<YYYY-MM>`` or ``PERIOD#<YYYY-MM-DD>``
  (daily usage is really counted daily), per-model items ``PERIOD#<YYYY-MM>#MODEL#<modelId>``;
  ``PeriodCostIndex`` on ``GSI2PK``/``GSI2SK`` (strings, the original system's key schema) lists
  a month's users by cost, its per-model items and its daily items (``apis.shared.quota.costs``).
- ``COST_RECORDS_TABLE``: the per-message cost records, keyed as in the sessions-metadata
  table they live in (``apis.shared.tables``): ``PK = USER#<id>``, ``SK = C#<timestamp>#<sessionId>#<messageId>``.
"""

from __future__ import annotations

from apis.shared.aws import GlobalIndex, TableDefinition
from apis.shared.tables import SESSIONS_METADATA_TABLE

__all__ = [
    "APP_ROLE_ASSIGNMENT_INDEX",
    "ASSIGNMENT_TYPE_INDEX",
    "COST_RECORDS_TABLE",
    "COST_SUMMARY_TABLE",
    "EVENT_TYPE_TIME_INDEX",
    "PERIOD_COST_INDEX",
    "QUOTAS_TABLE",
    "QUOTA_EVENTS_TABLE",
    "ROLE_ASSIGNMENT_INDEX",
    "TIER_EVENT_INDEX",
    "USER_ASSIGNMENT_INDEX",
    "USER_OVERRIDE_INDEX",
]

ASSIGNMENT_TYPE_INDEX = "AssignmentTypeIndex"
USER_ASSIGNMENT_INDEX = "UserAssignmentIndex"
ROLE_ASSIGNMENT_INDEX = "RoleAssignmentIndex"
APP_ROLE_ASSIGNMENT_INDEX = "AppRoleAssignmentIndex"
USER_OVERRIDE_INDEX = "UserOverrideIndex"
TIER_EVENT_INDEX = "TierEventIndex"
EVENT_TYPE_TIME_INDEX = "EventTypeTimeIndex"
PERIOD_COST_INDEX = "PeriodCostIndex"

QUOTAS_TABLE = TableDefinition(
    indexes=(
        GlobalIndex(ASSIGNMENT_TYPE_INDEX, "GSI1PK", "GSI1SK"),
        GlobalIndex(USER_ASSIGNMENT_INDEX, "GSI2PK", "GSI2SK"),
        GlobalIndex(ROLE_ASSIGNMENT_INDEX, "GSI3PK", "GSI3SK"),
        GlobalIndex(USER_OVERRIDE_INDEX, "GSI4PK", "GSI4SK"),
        GlobalIndex(APP_ROLE_ASSIGNMENT_INDEX, "GSI6PK", "GSI6SK"),
    )
)

QUOTA_EVENTS_TABLE = TableDefinition(
    indexes=(
        GlobalIndex(TIER_EVENT_INDEX, "GSI5PK", "GSI5SK"),
        GlobalIndex(EVENT_TYPE_TIME_INDEX, "eventType", "timestamp"),
    )
)

COST_SUMMARY_TABLE = TableDefinition(indexes=(GlobalIndex(PERIOD_COST_INDEX, "GSI2PK", "GSI2SK"),))

COST_RECORDS_TABLE = SESSIONS_METADATA_TABLE
