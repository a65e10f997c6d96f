"""The sessions-metadata table, shared with the cost records of ``apis.shared.quota``.

In the partition ``PK = USER#<userId>``:

- ``SK = SESSION#<sessionId>``: the session itself (read by key, strongly consistent), with a
  ``version`` for optimistic concurrency and ``GSI_PK = SESSION#<id>`` / ``GSI_SK = META`` for
  lookups by session id alone;
- ``SK = S#ACTIVE#<lastMessageAt>#<sessionId>`` or ``S#DELETED#<deletedAt>#<sessionId>``: a copy
  that orders the user's sessions, newest first; it moves (delete + put) in the same
  transaction as every change of the session;
- ``SK = M#<sessionId>#<index, 8 digits>``: the session's messages, in order;
- ``SK = C#...``: per-message cost records (``apis.shared.quota``).
"""

from __future__ import annotations

from apis.shared.quota.table import COST_RECORDS_TABLE, SESSION_LOOKUP_INDEX

__all__ = ["SESSIONS_METADATA_TABLE", "SESSION_LOOKUP_INDEX"]

SESSIONS_METADATA_TABLE = COST_RECORDS_TABLE
