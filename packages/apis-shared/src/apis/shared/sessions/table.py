"""The sessions-metadata table: the layout of the sessions' items in it.

In the partition ``PK = USER#<userId>``:

- ``SK = SESSION#<sessionId>``: the session itself (read by key, strongly consistent), with a
  ``version`` for optimistic concurrency and ``GSI_PK = SESSION#<id>`` / ``GSI_SK = META`` for
  lookups by session id alone;
- ``SK = S#ACTIVE#<lastMessageAt>#<sessionId>`` or ``S#DELETED#<deletedAt>#<sessionId>``: a copy
  that orders the user's sessions, newest first; it moves (delete + put) in the same
  transaction as every change of the session;
- ``SK = M#<sessionId>#<index, 8 digits>``: the session's messages, in order;
- ``SK = C#...``: per-message cost records (``apis.shared.quota``).

The definition is in ``apis.shared.tables``, which both domains import.
"""

from __future__ import annotations

from apis.shared.tables import SESSIONS_METADATA_TABLE

__all__ = ["SESSIONS_METADATA_TABLE"]
